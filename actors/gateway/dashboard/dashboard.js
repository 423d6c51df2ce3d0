// The dref dashboard: one WebSocket to /v1/dashboard/stream on the host that
// served the page, an "overview" frame every 500 ms, rendered into the page.
// Plain DOM and SVG, no libraries; every value from the server is set as text
// (textContent), never parsed as HTML.
"use strict";

(() => {
  const CHART_WINDOW_MS = 120000; // the charts show the last two minutes
  const GAP_MS = 2500; // samples further apart than this are not joined by a line
  const STALL_MS = 3000; // no frame for this long: shown as stalled
  const DEAD_MS = 10000; // no frame for this long: the socket is closed and opened again
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 10000;
  const FLASH_MS = 1200;

  const $ = (id) => document.getElementById(id);

  const {
    el, svg, setText, setAttr, isNum, intFmt, fmtInt, fmtRate, fmtMs, fmtDuration, fmtClock,
    syncKeyed, renderValue,
  } = window.drefDom;
  const drawChart = (node, now, series, unit) =>
    window.drefChart.draw(node, charts.samples, now, series, unit, CHART_WINDOW_MS, GAP_MS);


  // ---- connection ----------------------------------------------------------

  const conn = {
    socket: null,
    attempt: 0, // failed connections in a row
    retryAt: 0,
    retryTimer: null,
    lastFrameAt: 0,
    everConnected: false, // a frame arrived once
    everOpened: false, // a socket opened once
  };

  function streamUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams(location.search);
    const token = params.get("token");
    let url = `${scheme}//${location.host}/v1/dashboard/stream`;
    if (token) url += `?access_token=${encodeURIComponent(token)}`;
    return url;
  }

  function showConnection(state, text) {
    const box = $("conn-state");
    setAttr(box, "data-state", state);
    setText($("conn-text"), text);
    document.body.classList.toggle("is-offline", state !== "live" && state !== "stalled");
  }

  function connect() {
    clearTimeout(conn.retryTimer);
    conn.retryTimer = null;
    showConnection("connecting", conn.everConnected ? "reconnecting…" : "connecting…");
    let socket;
    try {
      socket = new WebSocket(streamUrl());
    } catch (err) {
      scheduleReconnect(`cannot open the stream (${err && err.message ? err.message : err})`);
      return;
    }
    conn.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      if (conn.socket !== socket) return;
      opened = true;
      conn.everOpened = true;
      conn.lastFrameAt = Date.now();
      showConnection("live", "connected, waiting for data…");
    });
    socket.addEventListener("message", (event) => {
      if (conn.socket !== socket) return;
      conn.lastFrameAt = Date.now();
      conn.attempt = 0;
      conn.everConnected = true;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_) {
        return; // not JSON: nothing this page understands
      }
      if (message && message.type === "overview") {
        showConnection("live", "live");
        render(message);
      }
    });
    socket.addEventListener("close", (event) => {
      if (conn.socket !== socket) return;
      conn.socket = null;
      onDisconnect();
      let why;
      if (event.reason) why = `closed: ${event.reason}`;
      else if (opened) why = event.code === 1006 ? "connection lost" : `closed (${event.code})`;
      else if (conn.everOpened) why = "cannot reconnect";
      else if (new URLSearchParams(location.search).get("token")) why = "cannot connect (is the token right?)";
      else why = "cannot connect (a token may be needed: add ?token=…)";
      scheduleReconnect(why);
    });
    // An error is always followed by close, which reconnects.
  }

  function scheduleReconnect(why) {
    clearTimeout(conn.retryTimer);
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** conn.attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    conn.attempt += 1;
    conn.retryAt = Date.now() + delay;
    conn.retryWhy = why;
    conn.retryTimer = setTimeout(connect, delay);
    updateRetryText();
  }

  function updateRetryText() {
    if (!conn.retryTimer) return;
    const left = Math.max(0, conn.retryAt - Date.now());
    showConnection("reconnecting", `${conn.retryWhy}; retrying in ${Math.ceil(left / 1000)} s`);
  }

  function onDisconnect() {
    rates.previous = null; // the next member may count differently
    charts.breakLine = true;
  }

  // Every second: count down to the next attempt, notice a stream that stopped.
  setInterval(() => {
    if (conn.retryTimer) {
      updateRetryText();
      return;
    }
    if (!conn.socket || conn.socket.readyState !== WebSocket.OPEN) return;
    const silent = Date.now() - conn.lastFrameAt;
    if (silent > DEAD_MS) {
      const socket = conn.socket;
      conn.socket = null;
      socket.close();
      onDisconnect();
      scheduleReconnect("no update for 10 s");
    } else if (silent > STALL_MS) {
      showConnection("stalled", `no update for ${Math.floor(silent / 1000)} s`);
    }
  }, 1000);

  // ---- overview ------------------------------------------------------------

  function render(o) {
    const members = Array.isArray(o.members) ? o.members : [];
    renderSummary(o, members);
    renderMembers(o, members);
    renderCharts(o);
    renderRefs(o.refs || {});
    renderLocks(Array.isArray(o.locks) ? o.locks : []);
    renderSessions(Array.isArray(o.sessions) ? o.sessions : [], Array.isArray(o.locks) ? o.locks : []);
    renderTopics(Array.isArray(o.topics) ? o.topics : []);
  }

  function renderSummary(o, members) {
    setText($("serving-member"), o.member || "—");
    setText($("leader-name"), o.leader || "none known");
    $("leader-name").classList.toggle("warn", !o.leader);
    const leader = members.find((m) => m.name === o.leader);
    const terms = members.map((m) => m.term).filter(isNum);
    const term = leader && isNum(leader.term) ? leader.term : terms.length ? Math.max(...terms) : null;
    setText($("cluster-term"), fmtInt(term));
    const reachable = members.filter((m) => m.reachable !== false).length;
    setText($("reachable-count"), members.length ? `${reachable} / ${members.length}` : "—");
    $("reachable-count").classList.toggle("warn", reachable < members.length);
    const raft = o.raft || {};
    setText($("leader-changes"), fmtInt(raft.leader_changes_total));
    setText($("updated-at"), fmtClock(o.time_ms));
    document.title = o.leader ? `dref · ${o.member || ""} · leader ${o.leader}` : `dref · ${o.member || ""} · no leader`;
  }

  // ---- members ---------------------------------------------------------------

  const MEMBER_CELLS = ["name", "address", "role", "term", "commit", "applied", "snapshot", "lag", "status"];

  function createMemberRow() {
    const row = el("tr", "member-row");
    for (const cell of MEMBER_CELLS) {
      const td = el("td", `member-${cell}`);
      if (["term", "commit", "applied", "snapshot", "lag"].includes(cell)) td.classList.add("num");
      row.append(td);
    }
    const nameCell = row.querySelector(".member-name");
    nameCell.append(el("span", "member-label"), el("span", "badge badge-leader", "leader"),
      el("span", "badge badge-self", "this member"), el("span", "badge badge-nonvoter", "non-voter"));
    row.querySelector(".member-role").append(el("span", "role-pill"));
    row.querySelector(".member-status").append(el("span", "status-dot"), el("span", "status-text"));
    return row;
  }

  function updateMemberRow(row, m, o) {
    const reachable = m.reachable !== false;
    const isLeader = !!o.leader && m.name === o.leader;
    const role = reachable && typeof m.role === "string" && m.role ? m.role : "unknown";
    setAttr(row, "data-member", m.name);
    setAttr(row, "data-role", role);
    setAttr(row, "data-leader", isLeader ? "true" : "false");
    setAttr(row, "data-reachable", reachable ? "true" : "false");
    row.classList.toggle("is-leader", isLeader);
    row.classList.toggle("is-unreachable", !reachable);
    row.classList.toggle("is-self", m.name === o.member);

    const q = (c) => row.querySelector(c);
    setText(q(".member-label"), m.name);
    q(".badge-leader").hidden = !isLeader;
    q(".badge-self").hidden = m.name !== o.member;
    q(".badge-nonvoter").hidden = m.voter !== false;
    setText(q(".member-address"), m.address || "—");
    const pill = q(".role-pill");
    setText(pill, role);
    setAttr(pill, "data-role", role);
    setText(q(".member-term"), reachable ? fmtInt(m.term) : "—");
    setText(q(".member-commit"), reachable ? fmtInt(m.commit_index) : "—");
    setText(q(".member-applied"), reachable ? fmtInt(m.applied_index) : "—");
    setText(q(".member-snapshot"), reachable ? fmtInt(m.snapshot_index) : "—");
    const lag = q(".member-lag");
    setText(lag, reachable && isNum(m.lag) ? fmtInt(m.lag) : "—");
    lag.classList.toggle("lag-ok", isNum(m.lag) && m.lag === 0);
    lag.classList.toggle("lag-some", isNum(m.lag) && m.lag > 0 && m.lag <= 100);
    lag.classList.toggle("lag-high", isNum(m.lag) && m.lag > 100);
    setText(q(".status-text"), reachable ? "reachable" : `unreachable${m.error ? `: ${m.error}` : ""}`);
    setAttr(q(".member-status"), "title", reachable ? "answers status requests" : m.error || "no answer");
  }

  function renderMembers(o, members) {
    const sorted = members.filter((m) => m && typeof m.name === "string")
      .slice().sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
    syncKeyed($("members-body"), sorted, (m) => m.name, createMemberRow, (row, m) => updateMemberRow(row, m, o));
    $("members-empty").hidden = sorted.length > 0;
    if (!sorted.length)
      setText($("members-empty"), typeof o.error === "string" && o.error
        ? `This member cannot report the cluster: ${o.error}` : "No members reported.");
    const voters = sorted.filter((m) => m.voter !== false).length;
    setText($("members-note"), sorted.length ? `${sorted.length} members, ${voters} voting · served by ${o.member || "?"}` : "");
  }

  // ---- charts ----------------------------------------------------------------

  const rates = { previous: null }; // {time, total} of the last frame
  const charts = { samples: [], breakLine: false };

  function renderCharts(o) {
    const raft = o.raft || {};
    const time = o.time_ms;
    if (!isNum(time)) return;
    const total = raft.proposals_total;
    let rate = null;
    const prev = rates.previous;
    if (isNum(total)) {
      if (prev && time > prev.time && total >= prev.total) rate = ((total - prev.total) * 1000) / (time - prev.time);
      if (!prev || time > prev.time || total < prev.total) rates.previous = { time, total };
    }
    const latency = raft.commit_latency_ms || {};
    const p50 = isNum(latency.p50) ? latency.p50 : null;
    const p99 = isNum(latency.p99) ? latency.p99 : null;
    const samples = charts.samples;
    // A clock that went back (another member after a reconnect): start over.
    if (samples.length && time < samples[samples.length - 1].time) samples.length = 0;
    samples.push({ time, rate, p50, p99, gap: charts.breakLine });
    charts.breakLine = false;
    while (samples.length && samples[0].time < time - CHART_WINDOW_MS - 5000) samples.shift();

    setText($("proposals-now"), rate === null ? "—" : `${fmtRate(rate)} /s`);
    setText($("proposals-total"), isNum(total) ? `${fmtInt(total)} committed` : "");
    setText($("latency-p50"), fmtMs(p50));
    setText($("latency-p99"), fmtMs(p99));
    drawCharts();
  }

  function drawCharts() {
    const samples = charts.samples;
    if (!samples.length) return;
    const now = samples[samples.length - 1].time;
    drawChart($("chart-proposals"), now, [{ key: "rate", className: "line-rate", area: true }], "/s");
    drawChart($("chart-latency"), now, [
      { key: "p99", className: "line-p99" },
      { key: "p50", className: "line-p50" },
    ], "ms");
  }


  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawCharts, 100);
  });

  // ---- refs ------------------------------------------------------------------

  let refFilter = "";

  function createRefRow() {
    const row = el("tr", "ref-row");
    const id = el("td", "ref-id");
    const valueCell = el("td", "ref-value-cell");
    const wrap = el("div", "ref-value-wrap");
    wrap.append(el("span", "badge badge-encoding ref-encoding", "base64"), el("span", "ref-value"),
      el("span", "badge badge-truncated ref-truncated", "truncated"));
    valueCell.append(wrap);
    row.append(id, valueCell, el("td", "ref-version num"));
    return row;
  }

  function updateRefRow(row, ref, fresh) {
    setAttr(row, "data-ref-id", ref.id);
    setText(row.querySelector(".ref-id"), ref.id);
    setAttr(row.querySelector(".ref-id"), "title", ref.id);
    const previous = row.dataset.version;
    const version = isNum(ref.version) ? String(ref.version) : "";
    renderValue(row.querySelector(".ref-value"), row.querySelector(".ref-encoding"), ref.value, ref.encoding);
    setAttr(row.querySelector(".ref-value"), "data-encoding", ref.encoding === "base64" ? "base64" : "text");
    row.querySelector(".ref-truncated").hidden = !ref.truncated;
    setText(row.querySelector(".ref-version"), version ? fmtInt(ref.version) : "—");
    setAttr(row, "data-version", version);
    if (!fresh && previous !== version) flash(row);
    else if (fresh && refsSeenOnce) flash(row); // a ref that appeared since the last frame
    row.hidden = !ref.id.startsWith(refFilter);
  }

  function flash(row) {
    row.classList.remove("flash");
    void row.offsetWidth; // restart the animation
    row.classList.add("flash");
    clearTimeout(row._flashTimer);
    row._flashTimer = setTimeout(() => row.classList.remove("flash"), FLASH_MS);
  }

  let refsSeenOnce = false;
  let lastRefs = null;

  function renderRefs(refs) {
    lastRefs = refs;
    const items = (Array.isArray(refs.items) ? refs.items : []).filter((r) => r && typeof r.id === "string")
      .slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    syncKeyed($("refs-body"), items, (r) => r.id, createRefRow, updateRefRow);
    refsSeenOnce = true;
    updateRefsNote(items);
  }

  function updateRefsNote(items) {
    const refs = lastRefs || {};
    const shown = items.filter((r) => r.id.startsWith(refFilter)).length;
    const parts = [];
    parts.push(refFilter ? `${shown} of ${items.length}` : `${items.length}`);
    if (refs.more) parts.push("(more exist; the first are shown)");
    if (isNum(refs.revision)) parts.push(`· revision ${fmtInt(refs.revision)}`);
    setText($("refs-note"), parts.join(" "));
    const empty = $("refs-empty");
    empty.hidden = shown > 0;
    setText(empty, items.length ? `No ref id starts with “${refFilter}”.` : "No refs.");
  }

  function applyRefFilter() {
    refFilter = $("refs-filter").value;
    const items = [];
    for (const row of $("refs-body").children) {
      const id = row.getAttribute("data-ref-id") || "";
      row.hidden = !id.startsWith(refFilter);
      items.push({ id });
    }
    updateRefsNote(items);
    const url = new URL(location.href);
    if (refFilter) url.searchParams.set("filter", refFilter);
    else url.searchParams.delete("filter");
    history.replaceState(null, "", url);
  }

  // ---- locks and sessions ------------------------------------------------------

  function createLockRow() {
    const row = el("tr", "lock-row");
    const holder = el("td", "lock-holder");
    holder.append(el("span", "lock-state"), el("span", "lock-owner"), el("span", "lock-session"));
    row.append(el("td", "lock-id"), holder, el("td", "lock-token num"), el("td", "lock-waiters"));
    return row;
  }

  function updateLockRow(row, lock) {
    const held = !!lock.held;
    setAttr(row, "data-lock-id", lock.id);
    setAttr(row, "data-held", held ? "true" : "false");
    row.classList.toggle("is-free", !held);
    const q = (c) => row.querySelector(c);
    setText(q(".lock-id"), lock.id);
    setAttr(q(".lock-id"), "title", lock.id);
    setText(q(".lock-state"), held ? "held" : "free");
    setText(q(".lock-owner"), held ? lock.owner || "?" : "");
    setText(q(".lock-session"), held && lock.session ? lock.session : "");
    setText(q(".lock-token"), isNum(lock.token) ? fmtInt(lock.token) : "—");
    const waiters = Array.isArray(lock.waiters) ? lock.waiters : [];
    const cell = q(".lock-waiters");
    cell.replaceChildren();
    if (!waiters.length) cell.append(el("span", "muted", "none"));
    waiters.forEach((w, i) => {
      const chip = el("span", "chip waiter");
      chip.append(el("span", "waiter-pos", `${i + 1}`), el("span", "waiter-owner", w.owner || "?"));
      if (w.session) chip.append(el("span", "waiter-session", w.session));
      setAttr(chip, "data-waiter", w.owner || "");
      cell.append(chip);
    });
  }

  function renderLocks(locks) {
    const items = locks.filter((l) => l && typeof l.id === "string");
    syncKeyed($("locks-body"), items, (l) => l.id, createLockRow, updateLockRow);
    $("locks-empty").hidden = items.length > 0;
    const held = items.filter((l) => l.held).length;
    const waiting = items.reduce((n, l) => n + (Array.isArray(l.waiters) ? l.waiters.length : 0), 0);
    setText($("locks-note"), items.length ? `${held} held, ${waiting} waiting` : "");
  }

  function createSessionRow() {
    const row = el("tr", "session-row");
    const left = el("td", "session-left");
    const bar = el("span", "meter");
    bar.append(el("span", "meter-fill"));
    left.append(bar, el("span", "session-left-text num"));
    row.append(el("td", "session-id"), el("td", "session-holds"), el("td", "session-ttl num"), left);
    return row;
  }

  function updateSessionRow(row, s, holdsBySession) {
    setAttr(row, "data-session-id", s.id);
    const q = (c) => row.querySelector(c);
    setText(q(".session-id"), s.id);
    setAttr(q(".session-id"), "title", s.id);
    const holds = holdsBySession.get(s.id) || [];
    setText(q(".session-holds"), holds.length ? holds.join(", ") : "—");
    q(".session-holds").classList.toggle("muted", !holds.length);
    setText(q(".session-ttl"), fmtDuration(s.ttl_ms));
    const left = isNum(s.expires_in_ms) ? Math.max(0, s.expires_in_ms) : null;
    setText(q(".session-left-text"), fmtDuration(left));
    setAttr(row, "data-expires-in-ms", left === null ? "" : left);
    const fraction = isNum(s.ttl_ms) && s.ttl_ms > 0 && left !== null ? Math.min(1, left / s.ttl_ms) : 0;
    q(".meter-fill").style.width = `${(fraction * 100).toFixed(1)}%`;
    row.classList.toggle("is-expiring", fraction < 0.25);
  }

  function renderSessions(sessions, locks) {
    const holdsBySession = new Map();
    for (const l of locks) {
      if (!l || !l.held || !l.session) continue;
      if (!holdsBySession.has(l.session)) holdsBySession.set(l.session, []);
      holdsBySession.get(l.session).push(l.id);
    }
    const items = sessions.filter((s) => s && typeof s.id === "string");
    syncKeyed($("sessions-body"), items, (s) => s.id, createSessionRow, (row, s) => updateSessionRow(row, s, holdsBySession));
    $("sessions-empty").hidden = items.length > 0;
    setText($("sessions-note"), items.length ? `${items.length} open` : "");
  }

  // ---- topics ------------------------------------------------------------------

  function createTopicCard() {
    const card = el("article", "topic");
    const head = el("header", "topic-head");
    head.append(el("span", "topic-id"), el("span", "topic-seq"));
    card.append(head, el("ol", "topic-messages"));
    return card;
  }

  function updateTopicCard(card, topic) {
    setAttr(card, "data-topic-id", topic.id);
    setText(card.querySelector(".topic-id"), topic.id);
    setText(card.querySelector(".topic-seq"), isNum(topic.next_seq) ? `next seq ${fmtInt(topic.next_seq)}` : "");
    const list = card.querySelector(".topic-messages");
    const messages = (Array.isArray(topic.last) ? topic.last : []).slice().sort((a, b) => (b.seq || 0) - (a.seq || 0));
    const previousTop = Number(card.dataset.topSeq || 0);
    syncKeyed(list, messages, (m) => m.seq, () => {
      const li = el("li", "topic-message-row");
      li.append(el("span", "topic-msg-seq num"), el("span", "badge badge-encoding", "base64"), el("span", "topic-message"));
      return li;
    }, (li, m, fresh) => {
      setAttr(li, "data-seq", m.seq);
      setText(li.querySelector(".topic-msg-seq"), `#${m.seq}`);
      renderValue(li.querySelector(".topic-message"), li.querySelector(".badge-encoding"), m.message, m.encoding);
      if (fresh && previousTop && m.seq > previousTop) flash(li);
    });
    card.dataset.topSeq = messages.length ? String(messages[0].seq) : card.dataset.topSeq || "0";
    let empty = card.querySelector(".topic-none");
    if (!messages.length && !empty) card.append(el("p", "muted topic-none", "no retained messages"));
    if (messages.length && empty) empty.remove();
  }

  function renderTopics(topics) {
    const items = topics.filter((t) => t && typeof t.id === "string");
    syncKeyed($("topics-list"), items, (t) => t.id, createTopicCard, updateTopicCard);
    $("topics-empty").hidden = items.length > 0;
    setText($("topics-note"), items.length ? `${items.length} topic${items.length === 1 ? "" : "s"}` : "");
  }

  // ---- start -------------------------------------------------------------------

  function start() {
    const filter = $("refs-filter");
    const initial = new URLSearchParams(location.search).get("filter");
    if (initial) filter.value = initial;
    refFilter = filter.value;
    filter.addEventListener("input", applyRefFilter);
    document.addEventListener("keydown", (event) => {
      if (event.key === "/" && document.activeElement !== filter) {
        event.preventDefault();
        filter.focus();
      } else if (event.key === "Escape" && document.activeElement === filter) {
        filter.value = "";
        applyRefFilter();
      }
    });
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
