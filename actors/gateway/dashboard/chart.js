// The dashboard's line charts in SVG (dashboard.js draws the two it has):
// window.drefChart.draw(node, samples, now, series, unit, windowMs, gapMs).
"use strict";
(() => {
  const { svg, setAttr, isNum, intFmt } = window.drefDom;

  // A tick step of 1, 2, 2.5 or 5 times a power of ten, at least `raw`.
  function niceStep(raw) {
    if (!(raw > 0)) return 0.25;
    const exp = 10 ** Math.floor(Math.log10(raw));
    for (const m of [1, 2, 2.5, 5]) if (m * exp >= raw * (1 - 1e-9)) return m * exp;
    return 10 * exp;
  }

  function fmtTick(v) {
    if (v >= 1000) return intFmt.format(v);
    return String(Number(v.toPrecision(4)));
  }

  function drawChart(node, samples, now, series, unit, CHART_WINDOW_MS, GAP_MS) {
    const width = Math.max(240, Math.round(node.clientWidth || node.getBoundingClientRect().width || 480));
    const height = Math.max(120, Math.round(node.clientHeight || 180));
    const pad = { left: 46, right: 12, top: 10, bottom: 24 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const from = now - CHART_WINDOW_MS;
    const visible = samples.filter((s) => s.time >= from);
    let max = 0;
    for (const s of visible) for (const { key } of series) if (isNum(s[key])) max = Math.max(max, s[key]);
    const ticks = 4;
    const top = niceStep((max * 1.1) / ticks) * ticks;
    const x = (t) => pad.left + ((t - from) / CHART_WINDOW_MS) * plotW;
    const y = (v) => pad.top + plotH - (v / top) * plotH;

    const frag = document.createDocumentFragment();
    // Horizontal grid and y labels.
    for (let i = 0; i <= ticks; i++) {
      const v = (top * i) / ticks;
      const yy = y(v);
      frag.append(svg("line", { class: i === 0 ? "axis" : "grid", x1: pad.left, x2: width - pad.right, y1: yy, y2: yy }));
      const label = svg("text", { class: "tick", x: pad.left - 6, y: yy + 4, "text-anchor": "end" });
      label.textContent = fmtTick(v) + (unit && i === ticks ? ` ${unit}` : "");
      frag.append(label);
    }
    // Time labels every 30 s.
    for (let s = 0; s <= CHART_WINDOW_MS; s += 30000) {
      const xx = x(from + s);
      const left = (CHART_WINDOW_MS - s) / 1000;
      const label = svg("text", { class: "tick", x: xx, y: height - 6, "text-anchor": s === 0 ? "start" : s === CHART_WINDOW_MS ? "end" : "middle" });
      label.textContent = left === 0 ? "now" : left % 60 === 0 ? `−${left / 60} min` : `−${left} s`;
      frag.append(label);
      if (s > 0 && s < CHART_WINDOW_MS) frag.append(svg("line", { class: "grid vgrid", x1: xx, x2: xx, y1: pad.top, y2: pad.top + plotH }));
    }
    // The lines, broken where a value is missing or samples are far apart.
    for (const { key, className, area } of series) {
      const runs = [];
      let run = [];
      let lastTime = null;
      for (const s of visible) {
        const v = s[key];
        const broken = s.gap || (lastTime !== null && s.time - lastTime > GAP_MS);
        if (!isNum(v) || broken) {
          if (run.length) runs.push(run);
          run = [];
        }
        if (isNum(v)) run.push([x(s.time), y(Math.min(v, top))]);
        lastTime = s.time;
      }
      if (run.length) runs.push(run);
      for (const points of runs) {
        const d = points.map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join("");
        if (area && points.length > 1) {
          const base = y(0).toFixed(1);
          frag.append(svg("path", { class: `${className} area`, d: `${d}L${points[points.length - 1][0].toFixed(1)},${base}L${points[0][0].toFixed(1)},${base}Z` }));
        }
        frag.append(svg("path", { class: className, d: points.length > 1 ? d : `${d}h0.01` }));
      }
      const lastPoint = runs.length ? runs[runs.length - 1][runs[runs.length - 1].length - 1] : null;
      if (lastPoint && visible.length && isNum(visible[visible.length - 1][key]))
        frag.append(svg("circle", { class: `${className} dot`, cx: lastPoint[0].toFixed(1), cy: lastPoint[1].toFixed(1), r: 3 }));
    }
    if (!visible.some((s) => series.some(({ key }) => isNum(s[key])))) {
      const note = svg("text", { class: "chart-empty", x: pad.left + plotW / 2, y: pad.top + plotH / 2, "text-anchor": "middle" });
      note.textContent = series.length > 1 ? "no proposals committed in this window" : "collecting…";
      frag.append(note);
    }
    setAttr(node, "viewBox", `0 0 ${width} ${height}`);
    node.replaceChildren(frag);
  }

  window.drefChart = { draw: drawChart };
})();
