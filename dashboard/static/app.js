// Shared by every page: URL state, time picker, auto refresh, theme, fetch, safe DOM building, tables, charts.
"use strict";
const OH = (() => {
  const listeners = [];
  let refreshTimer = null;

  function state() { return new URLSearchParams(location.search); }
  function notify() { for (const fn of listeners) fn(state()); }
  // Change URL parameters (empty values removed); a push makes the back button return here.
  function set(updates, push = true) {
    const p = state();
    for (const [k, v] of Object.entries(updates)) {
      p.delete(k);
      for (const x of (Array.isArray(v) ? v : [v])) if (x !== "" && x !== null && x !== undefined) p.append(k, x);
    }
    const url = location.pathname + (p.toString() ? "?" + p : "");
    if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
    syncPicker(); notify();
  }
  function onChange(fn) { listeners.push(fn); }
  window.addEventListener("popstate", () => { syncPicker(); notify(); });

  // Safe element builder: text goes in as text, never as HTML.
  function el(tag, attrs = {}, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "class") e.className = v;
      else if (k === "style") e.style.cssText = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat(Infinity)) if (kid !== null && kid !== undefined) e.append(kid instanceof Node ? kid : String(kid));
    return e;
  }

  function timeParams(p = state()) {
    const out = {};
    for (const k of ["from", "to", "step"]) if (p.get(k)) out[k] = p.get(k);
    return out;
  }
  // Link to another page keeping the time range.
  function link(path, extra = {}) {
    const p = new URLSearchParams(timeParams());
    for (const [k, v] of Object.entries(extra)) { p.delete(k); for (const x of (Array.isArray(v) ? v : [v])) if (x !== "" && x != null) p.append(k, x); }
    return path + (p.toString() ? "?" + p : "");
  }

  const flash = () => document.getElementById("flash");
  async function api(path, params) {
    const qs = params instanceof URLSearchParams ? params : new URLSearchParams(params || {});
    const res = await fetch(path + (qs.toString() ? "?" + qs : ""), { headers: { Accept: "application/json" } });
    const body = await res.json().catch(() => ({ error: res.statusText }));
    if (!res.ok) { flash().textContent = body.error || ("HTTP " + res.status); flash().hidden = false; throw new Error(body.error); }
    flash().hidden = true;
    return body;
  }

  // Formatting, in the browser's time zone.
  function dur(ns) {
    if (ns === null || ns === undefined) return "–";
    if (ns < 1e3) return ns.toFixed(0) + " ns"; if (ns < 1e6) return (ns / 1e3).toFixed(1) + " µs";
    if (ns < 1e9) return (ns / 1e6).toFixed(ns < 1e7 ? 2 : 1) + " ms"; return (ns / 1e9).toFixed(2) + " s";
  }
  const pct = (x) => (x === null || x === undefined) ? "–" : (100 * x).toFixed(x < 0.001 && x > 0 ? 3 : 2) + "%";
  function rate(x) {
    if (x >= 100) return x.toFixed(0) + "/s";
    if (x >= 1) return x.toFixed(2) + "/s";
    if (x === 0 || x * 60 >= 0.1) return (x * 60).toFixed(2) + "/min";
    return (x * 3600).toPrecision(2) + "/h";  // a few calls over a day never read 0.00/min
  }
  const tzName = Intl.DateTimeFormat().resolvedOptions().timeZone;
  function time(ns, withDate = true) {
    const d = new Date(ns / 1e6);
    const ms = String(d.getMilliseconds()).padStart(3, "0");
    const t = d.toLocaleTimeString([], { hour12: false }) + "." + ms;
    return withDate ? d.toLocaleDateString() + " " + t : t;
  }
  function change(cur, prev, higherIsWorse = true) {
    if (prev === null || prev === undefined || !prev) return el("span", { class: "muted" }, "new");
    const r = (cur - prev) / prev;
    if (!isFinite(r)) return el("span", { class: "muted" }, "–");
    const worse = higherIsWorse ? r > 0.05 : r < -0.05, better = higherIsWorse ? r < -0.05 : r > 0.05;
    return el("span", { class: worse ? "up" : better ? "down" : "muted", title: "against the previous period" }, (r >= 0 ? "+" : "") + (100 * r).toFixed(0) + "%");
  }

  // A sortable table: columns [{key, label, num, render(row), sort(row)}]; headers are buttons (keyboard).
  function table(host, columns, rows, opts = {}) {
    let sortKey = opts.sort || null, asc = opts.asc ?? true;
    const tbl = el("table", { id: opts.id, class: opts.class });
    if (opts.caption) tbl.append(el("caption", { class: "muted", style: "text-align:left" }, opts.caption));
    const thead = el("thead"), tbody = el("tbody");
    tbl.append(thead, tbody);
    function draw() {
      const sorted = rows.slice();
      const col = columns.find((c) => c.key === sortKey);
      if (col) {
        const get = col.sort || ((r) => r[col.key]);
        sorted.sort((a, b) => { const x = get(a), y = get(b); return (x > y ? 1 : x < y ? -1 : 0) * (asc ? 1 : -1); });
      }
      thead.replaceChildren(el("tr", {}, columns.map((c) => el("th", {
        class: c.num ? "num" : "", scope: "col", "aria-sort": c.key === sortKey ? (asc ? "ascending" : "descending") : null,
      }, c.nosort ? c.label : el("button", { type: "button", onclick: () => { asc = sortKey === c.key ? !asc : !c.num; sortKey = c.key; draw(); } },
        c.label, c.key === sortKey ? (asc ? " ▲" : " ▼") : "")))));
      tbody.replaceChildren(...sorted.map((r) => {
        const tr = el("tr", opts.rowAttrs ? opts.rowAttrs(r) : {}, columns.map((c) => el("td", { class: c.num ? "num" : "" }, c.render ? c.render(r) : r[c.key])));
        return tr;
      }));
    }
    draw();
    host.replaceChildren(rows.length ? tbl : el("div", { class: "empty" }, opts.empty || "Nothing in this time range."));
    return tbl;
  }

  // Plotly with the theme's colours; responsive.
  function plot(host, data, layout = {}, config = {}) {
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--fg").trim(), line = css.getPropertyValue("--line").trim();
    const base = {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: fg, size: 11 },
      margin: { l: 50, r: 10, t: 24, b: 36 }, xaxis: { gridcolor: line, type: "date" }, yaxis: { gridcolor: line, rangemode: "tozero" },
      legend: { orientation: "h", y: -0.2 }, hovermode: "closest",
    };
    const merged = { ...base, ...layout, xaxis: { ...base.xaxis, ...(layout.xaxis || {}) }, yaxis: { ...base.yaxis, ...(layout.yaxis || {}) } };
    return Plotly.react(host, data, merged, { displaylogo: false, responsive: true, ...config });
  }
  const sec = (t) => new Date(t * 1000);
  // A time axis over the page's whole range, so a burst of data is not stretched across the chart.
  const windowAxis = (w) => ({ range: [sec(w.start_ns / 1e9), sec(w.end_ns / 1e9)] });

  function sparkline(points, key) {
    const w = 120, h = 28, svgNS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("class", "spark"); svg.setAttribute("viewBox", `0 0 ${w} ${h}`); svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", key + " over time");
    const xs = points.map((p) => p.t), ys = points.map((p) => p[key] || 0);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y1 = Math.max(...ys) || 1;
    const y = (v) => h - 2 - (v / y1) * (h - 4);  // 0 on the bottom line, the highest step on the top one
    if (points.length > 1) {
      const d = points.map((p, i) => `${i ? "L" : "M"}${((p.t - x0) / ((x1 - x0) || 1)) * (w - 2) + 1},${y(ys[i])}`).join("");
      const path = document.createElementNS(svgNS, "path");
      path.setAttribute("d", d); path.setAttribute("fill", "none"); path.setAttribute("stroke", "currentColor"); path.setAttribute("stroke-width", "1.5");
      svg.append(path);
    } else if (points.length === 1) {  // one step (a young stack, a long range): a dot where a line would end
      const dot = document.createElementNS(svgNS, "circle");
      dot.setAttribute("cx", w - 3); dot.setAttribute("cy", Math.min(Math.max(y(ys[0]), 3), h - 3)); dot.setAttribute("r", 2); dot.setAttribute("fill", "currentColor");
      svg.append(dot);
    }
    return svg;
  }

  // Time picker: relative choices or absolute from/to in the browser's time zone.
  const pad = (n) => String(n).padStart(2, "0");
  function toLocalInput(ms) { const d = new Date(ms); return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`; }
  function syncPicker() {
    const form = document.getElementById("timepicker"); if (!form) return;
    const p = state(), from = p.get("from") || form.dataset.defaultFrom || "now-1h", to = p.get("to") || "now";
    const sel = document.getElementById("tp-range");
    const relative = to === "now" && [...sel.options].some((o) => o.value === from);
    sel.value = relative ? from : "custom";
    document.getElementById("tp-custom").hidden = relative;
    if (!relative) {
      const asMs = (v) => /^\d+$/.test(v) ? Number(v) : Date.parse(v);
      document.getElementById("tp-from").value = toLocalInput(asMs(from));
      document.getElementById("tp-to").value = to === "now" ? toLocalInput(Date.now()) : toLocalInput(asMs(to));
    }
    document.getElementById("tp-refresh").value = p.get("refresh") || "";
    clearInterval(refreshTimer);
    const every = Number(p.get("refresh") || 0);
    if (every > 0) refreshTimer = setInterval(notify, every * 1000);
  }
  function setRange(fromMs, toMs) { set({ from: String(Math.round(fromMs)), to: String(Math.round(toMs)) }); }
  function initPicker() {
    const form = document.getElementById("timepicker"); if (!form) return;
    document.getElementById("tp-tz").textContent = tzName;
    const sel = document.getElementById("tp-range");
    sel.addEventListener("change", () => {
      if (sel.value === "custom") { document.getElementById("tp-custom").hidden = false; const now = Date.now(); document.getElementById("tp-from").value = toLocalInput(now - 3600e3); document.getElementById("tp-to").value = toLocalInput(now); }
      else set({ from: sel.value, to: "" });
    });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = new Date(document.getElementById("tp-from").value).getTime(), t = new Date(document.getElementById("tp-to").value).getTime();
      if (isFinite(f) && isFinite(t) && t > f) setRange(f, t);
    });
    document.getElementById("tp-refresh").addEventListener("change", (ev) => set({ refresh: ev.target.value }, false));
    syncPicker();
  }
  // Keep the time range when moving between pages through the nav.
  function initNav() {
    for (const a of document.querySelectorAll("a[data-keep-time]")) a.addEventListener("click", () => { a.href = link(a.getAttribute("href").split("?")[0]); });
  }
  function initTheme() {
    document.getElementById("theme").addEventListener("click", () => {
      const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
      document.documentElement.dataset.theme = next; localStorage.setItem("oh-theme", next); notify();
    });
  }
  // A chart's x-axis drag narrows the time range (and so the URL).
  function zoomToRange(host) {
    if (host.dataset.zoom) return;
    host.dataset.zoom = "1";
    host.on("plotly_relayout", (ev) => {
      const a = ev["xaxis.range[0]"], b = ev["xaxis.range[1]"];
      if (a && b) setRange(new Date(a.replace(" ", "T")).getTime(), new Date(b.replace(" ", "T")).getTime());
    });
  }
  const palette = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#e15759", "#bab0ac"];
  function colour(name) { let h = 0; for (const c of String(name)) h = (h * 31 + c.charCodeAt(0)) >>> 0; return palette[h % palette.length]; }

  document.addEventListener("DOMContentLoaded", () => { initPicker(); initNav(); initTheme(); });
  window.addEventListener("load", () => notify());
  return { state, set, onChange, el, api, link, timeParams, dur, pct, rate, time, change, table, plot, sec, windowAxis, sparkline, setRange, zoomToRange, colour, tzName };
})();
