// Small DOM, SVG and formatting helpers of the dashboard (dashboard.js),
// shared with chart.js: window.drefDom.
"use strict";
(() => {
  const SVG_NS = "http://www.w3.org/2000/svg";

  // ---- helpers -------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    return node;
  }

  function setText(node, text) {
    const value = text === undefined || text === null ? "" : String(text);
    if (node.textContent !== value) node.textContent = value;
  }

  function setAttr(node, name, value) {
    const text = String(value);
    if (node.getAttribute(name) !== text) node.setAttribute(name, text);
  }

  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  const intFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const fmtInt = (v) => (isNum(v) ? intFmt.format(v) : "—");

  function fmtRate(v) {
    if (!isNum(v)) return "—";
    if (v >= 100) return intFmt.format(Math.round(v));
    if (v >= 10) return v.toFixed(1);
    return v.toFixed(2).replace(/\.?0+$/, "") || "0";
  }

  function fmtMs(v) {
    if (!isNum(v)) return "—";
    if (v >= 100) return `${Math.round(v)} ms`;
    if (v >= 10) return `${v.toFixed(1)} ms`;
    return `${v.toFixed(2)} ms`;
  }

  function fmtDuration(ms) {
    if (!isNum(ms)) return "—";
    if (ms < 0) ms = 0;
    if (ms < 10000) return `${(ms / 1000).toFixed(1)} s`;
    if (ms < 120000) return `${Math.round(ms / 1000)} s`;
    const min = Math.floor(ms / 60000);
    const sec = Math.round((ms % 60000) / 1000);
    return `${min} min ${sec} s`;
  }

  function fmtClock(ms) {
    if (!isNum(ms)) return "—";
    return new Date(ms).toLocaleTimeString("en-GB", { hour12: false });
  }

  // Keeps the rows of `container` in the order of `items`, one per key: rows
  // are created once (create(item) -> element), updated in place
  // (update(element, item)) and removed when their key goes away, so state on
  // them (a running flash, focus, hover) survives the next frame.
  function syncKeyed(container, items, keyOf, create, update) {
    const existing = new Map();
    for (const child of Array.from(container.children)) existing.set(child.dataset.key, child);
    let cursor = container.firstElementChild;
    const seen = new Set();
    for (const item of items) {
      const key = String(keyOf(item));
      if (seen.has(key)) continue;
      seen.add(key);
      let node = existing.get(key);
      const fresh = !node;
      if (fresh) {
        node = create(item);
        node.dataset.key = key;
      }
      update(node, item, fresh);
      if (node !== cursor) container.insertBefore(node, cursor);
      else cursor = cursor.nextElementSibling;
    }
    for (const [key, node] of existing) if (!seen.has(key)) node.remove();
  }

  // Shows the bytes of a value as the server sends them: text as it
  // is, base64 as the base64 string with a "base64" label beside it.
  function renderValue(valueNode, badgeNode, value, encoding) {
    const text = typeof value === "string" ? value : value === undefined || value === null ? "" : JSON.stringify(value);
    setText(valueNode, text);
    setAttr(valueNode, "title", text);
    const binary = encoding === "base64";
    badgeNode.hidden = !binary;
    valueNode.classList.toggle("is-base64", binary);
    valueNode.classList.toggle("is-empty", text === "");
  }

  window.drefDom = {
    el, svg, setText, setAttr, isNum, intFmt, fmtInt, fmtRate, fmtMs, fmtDuration, fmtClock,
    syncKeyed, renderValue,
  };
})();
