#!/usr/bin/env node
// The gateway's dashboard in a real browser (headless Chromium): the page must
// show every member with exactly one leader, and a value written through the
// HTTP API must appear in its refs browser within a second.
//
//   node dashboard_test.mjs --url http://127.0.0.1:PORT/ --write http://127.0.0.1:PORT \
//        --screenshot OUT.png [--token T] [options]
//
// Exit 0 on success, 1 on a failed check (reason on stderr), 2 on bad usage.
// The screenshot is saved whenever the page loaded, also on failure.
// Over HTTPS the browser ignores certificate errors; for the PUT, Node needs the
// cluster's CA in NODE_EXTRA_CA_CERTS.
import { chromium } from "playwright-core";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

const USAGE = `usage: node dashboard_test.mjs --url PAGE_URL --write API_BASE --screenshot OUT.png [options]
  --url URL           the dashboard page, e.g. http://127.0.0.1:8080/
  --write URL         the gateway that takes the PUT, e.g. http://127.0.0.1:8080
  --screenshot FILE   where to save a PNG of the page (also on failure)
  --token T           bearer token: sent on the PUT, and to the page as ?token=T
  --ref ID            the ref to write (default dashboard-test/probe)
  --members N         member rows expected (default 3)
  --limit-ms MS       the longest the value may take to show (default 1000)
  --wait-ms MS        how long to wait for the members and leader (default 30000)
  --chromium PATH     the browser (default $CHROMIUM or /usr/bin/chromium)`;

function parseArgs(argv) {
  const options = {
    ref: "dashboard-test/probe",
    members: 3,
    limitMs: 1000,
    waitMs: 30000,
    chromium: process.env.CHROMIUM || "/usr/bin/chromium",
  };
  const names = {
    "--url": "url", "--write": "write", "--screenshot": "screenshot", "--token": "token",
    "--ref": "ref", "--members": "members", "--limit-ms": "limitMs", "--wait-ms": "waitMs",
    "--chromium": "chromium",
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    }
    const key = names[arg];
    if (!key) usageError(`unknown argument ${arg}`);
    if (value === undefined) {
      if (i + 1 >= argv.length) usageError(`${arg} needs a value`);
      value = argv[++i];
    }
    options[key] = value;
  }
  for (const key of ["url", "write", "screenshot"])
    if (!options[key]) usageError(`--${key} is required`);
  for (const key of ["members", "limitMs", "waitMs"]) {
    const n = Number(options[key]);
    if (!Number.isInteger(n) || n <= 0) usageError(`${key} must be a positive integer`);
    options[key] = n;
  }
  if (!/^[A-Za-z0-9._:/@-]{1,256}$/.test(options.ref) || options.ref.startsWith("dref/"))
    usageError(`--ref ${options.ref} is not a writable ref id`);
  try {
    new URL(options.url);
    new URL(options.write);
  } catch (err) {
    usageError(`bad URL: ${err.message}`);
  }
  return options;
}

function usageError(message) {
  console.error(`dashboard_test: ${message}\n${USAGE}`);
  process.exit(2);
}

class CheckFailed extends Error {}

const options = parseArgs(process.argv.slice(2));
const jsErrors = [];
let browser = null;
let page = null;
let pageLoaded = false;
let exitCode = 0;

function fail(message) {
  throw new CheckFailed(message);
}

function pageUrl() {
  const url = new URL(options.url);
  if (options.token) url.searchParams.set("token", options.token);
  return url.toString();
}

function refUrl() {
  const base = options.write.replace(/\/+$/, "");
  const path = options.ref.split("/").map(encodeURIComponent).join("/");
  return `${base}/v1/refs/${path}`;
}

// What the page shows about the members, read from its data-* attributes.
async function membersShown() {
  return page.evaluate(() => {
    const rows = Array.from(document.querySelectorAll("#members-body tr[data-member]"));
    return {
      names: rows.map((r) => r.getAttribute("data-member")),
      roles: Object.fromEntries(rows.map((r) => [r.getAttribute("data-member"), r.getAttribute("data-role")])),
      leaders: rows.filter((r) => r.getAttribute("data-leader") === "true").map((r) => r.getAttribute("data-member")),
      connection: document.getElementById("conn-text")?.textContent ?? "",
    };
  });
}

async function waitForMembers() {
  try {
    await page.waitForFunction((expected) => {
      const rows = document.querySelectorAll("#members-body tr[data-member]");
      const leaders = document.querySelectorAll('#members-body tr[data-member][data-leader="true"]');
      return rows.length === expected && leaders.length === 1;
    }, options.members, { timeout: options.waitMs, polling: 100 });
  } catch (err) {
    if (!(err && err.name === "TimeoutError")) throw err;
    const shown = await membersShown().catch(() => null);
    if (!shown) fail(`the page did not show ${options.members} members with one leader within ${options.waitMs} ms`);
    fail(`after ${options.waitMs} ms the page shows ${shown.names.length} member rows` +
      ` (${shown.names.join(", ") || "none"}; expected ${options.members})` +
      ` and ${shown.leaders.length} marked leader (${shown.leaders.join(", ") || "none"}; expected 1);` +
      ` connection: "${shown.connection}"`);
  }
  return membersShown();
}

// Resolves, in the page, with Date.now() at the moment the ref's row shows
// `value`; a MutationObserver sees it as soon as the DOM has it.
async function armValueProbe(id, value) {
  await page.evaluate(({ id, value }) => {
    window.__dashboardTestSeen = new Promise((resolve) => {
      const selector = `#refs-body tr[data-ref-id="${CSS.escape(id)}"]`;
      const check = () => {
        const row = document.querySelector(selector);
        const cell = row && row.querySelector(".ref-value");
        if (cell && !row.hidden && cell.textContent === value) {
          resolve(Date.now());
          return true;
        }
        return false;
      };
      if (check()) return;
      const observer = new MutationObserver(() => {
        if (check()) observer.disconnect();
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
  }, { id, value });
}

async function refShown(id) {
  return page.evaluate((id) => {
    const row = document.querySelector(`#refs-body tr[data-ref-id="${CSS.escape(id)}"]`);
    if (!row) return null;
    return {
      value: row.querySelector(".ref-value")?.textContent ?? null,
      version: row.querySelector(".ref-version")?.textContent ?? null,
      hidden: row.hidden,
    };
  }, id);
}

async function writeAndMeasure() {
  // Node's HTTP client loads and connects on first use: done here, outside the
  // measurement (any answer will do).
  await fetch(`${options.write.replace(/\/+$/, "")}/healthz`, { signal: AbortSignal.timeout(5000) })
    .then((r) => r.arrayBuffer()).catch(() => {});
  const value = `dashboard-test-${Date.now()}-${randomBytes(4).toString("hex")}`;
  await armValueProbe(options.ref, value);
  const headers = { "content-type": "application/json" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const sentAt = Date.now();
  let response;
  try {
    response = await fetch(refUrl(), {
      method: "PUT",
      headers,
      body: JSON.stringify({ value }),
      signal: AbortSignal.timeout(10000),
    });
  } catch (err) {
    fail(`PUT ${refUrl()} failed: ${err.cause?.message || err.message}`);
  }
  const answeredAt = Date.now();
  const body = await response.text();
  if (!response.ok) fail(`PUT ${refUrl()} answered ${response.status}: ${body.trim()}`);
  let version = null;
  try {
    version = JSON.parse(body).version ?? null;
  } catch (_) {
    // the version is only reported
  }

  // Wait well past the limit, to tell "slow" from "never".
  const patience = Math.max(5000, options.limitMs * 5);
  const seenAt = await Promise.race([
    page.evaluate(() => window.__dashboardTestSeen),
    new Promise((resolve) => setTimeout(() => resolve(null), patience)),
  ]);
  if (seenAt === null) {
    const shown = await refShown(options.ref).catch(() => null);
    const what = shown
      ? `the row shows ${JSON.stringify(shown.value)} at version ${shown.version}${shown.hidden ? " (hidden)" : ""}`
      : `no row for ${options.ref} is shown`;
    fail(`the written value (version ${version ?? "?"}) never appeared in the refs browser within ${patience} ms: ${what}`);
  }
  return { value, version, putMs: answeredAt - sentAt, visibleMs: Math.max(0, seenAt - sentAt) };
}

async function saveScreenshot() {
  if (!page || !pageLoaded) return;
  try {
    const out = resolve(options.screenshot);
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: true, animations: "allow" });
    console.log(`dashboard: screenshot saved to ${out}`);
  } catch (err) {
    console.error(`dashboard: could not save the screenshot: ${err.message}`);
  }
}

async function main() {
  try {
    browser = await chromium.launch({
      executablePath: options.chromium,
      headless: true,
      args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"],
      timeout: 30000,
    });
  } catch (err) {
    fail(`cannot start ${options.chromium}: ${err.message.split("\n")[0]}`);
  }
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    ignoreHTTPSErrors: true,
    colorScheme: "light",
  });
  page = await context.newPage();
  page.on("pageerror", (err) => jsErrors.push(`uncaught: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") {
      const where = msg.location()?.url ? ` (${msg.location().url})` : "";
      jsErrors.push(`console.error: ${msg.text()}${where}`);
    }
  });

  const response = await page.goto(pageUrl(), { waitUntil: "load", timeout: 15000 }).catch((err) => {
    fail(`cannot load ${options.url}: ${err.message.split("\n")[0]}`);
  });
  if (!response || !response.ok()) fail(`GET ${options.url} answered ${response ? response.status() : "nothing"}`);
  pageLoaded = true;

  const members = await waitForMembers();
  const leader = members.leaders[0];
  const result = await writeAndMeasure();
  if (jsErrors.length) fail(`the page logged ${jsErrors.length} error(s):\n  ${jsErrors.join("\n  ")}`);

  const summary = `dashboard: ${members.names.length} members, leader ${leader}` +
    ` (role ${members.roles[leader]}), value visible after ${result.visibleMs} ms` +
    ` (PUT answered in ${result.putMs} ms, version ${result.version ?? "?"})`;
  if (result.visibleMs > options.limitMs) {
    console.log(summary);
    fail(`the written value took ${result.visibleMs} ms to appear (limit ${options.limitMs} ms)`);
  }
  console.log(summary);
}

const watchdog = setTimeout(() => {
  console.error("dashboard test FAILED: no result within 120 s");
  process.exit(1);
}, 120000);

try {
  await main();
} catch (err) {
  exitCode = 1;
  if (err instanceof CheckFailed) console.error(`dashboard test FAILED: ${err.message}`);
  else console.error(`dashboard test FAILED: ${err && err.stack ? err.stack : err}`);
  if (jsErrors.length && !(err instanceof CheckFailed && err.message.includes("logged")))
    console.error(`the page also logged:\n  ${jsErrors.join("\n  ")}`);
} finally {
  await saveScreenshot();
  if (browser) await browser.close().catch(() => {});
  clearTimeout(watchdog);
}
process.exit(exitCode);
