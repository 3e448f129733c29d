// Log explorer: filters in the URL, severity histogram that narrows the range, lines by cursor, context, live tail.
"use strict";
(() => {
  const { el, api, state, set, onChange, link, time, plot, sec } = OH;
  const form = document.getElementById("search"), host = document.getElementById("lines"), more = document.getElementById("more");
  const LEVEL_COLOURS = { UNSET: "#9aa3b2", TRACE: "#b3bccb", DEBUG: "#76b7b2", INFO: "#4e79a7", WARN: "#f28e2b", ERROR: "#e15759", FATAL: "#8b0000" };
  let tbody = null, cursor = null, newest = null, tailing = false, tailTimer = null;

  function query(p) {
    const q = new URLSearchParams(OH.timeParams(p));
    for (const k of ["q", "trace_id", "span_id"]) if (p.get(k)) q.set(k, p.get(k));
    for (const k of ["service", "level", "attr"]) for (const v of p.getAll(k)) q.append(k, v);
    return q;
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    set({ q: f.get("q").trim(), trace_id: f.get("trace_id").trim(), span_id: f.get("span_id").trim(), service: f.getAll("service"), level: f.getAll("level"),
      attr: (f.get("attr") || "").split(";").map((s) => s.trim()).filter(Boolean) });
  });
  function fields(l) {
    const kv = (o) => el("dl", { class: "kv" }, Object.keys(o).sort().map((k) => [el("dt", {}, k), el("dd", {}, o[k])]));
    const ctx = el("div");
    return el("div", {},
      el("dl", { class: "kv" }, el("dt", {}, "timestamp (ns)"), el("dd", {}, String(l.cursor.split(":")[0])), el("dt", {}, "severity"), el("dd", {}, `${l.severity_text} (${l.severity_number})`),
        el("dt", {}, "scope"), el("dd", {}, `${l.scope} ${l.scope_version}`), el("dt", {}, "event"), el("dd", {}, l.event_name || "–"),
        el("dt", {}, "trace / span"), el("dd", {}, l.trace_id ? el("a", { href: link("/traces/" + l.trace_id, { span: l.span_id }) }, `${l.trace_id} / ${l.span_id}`) : "–")),
      el("h3", {}, "Attributes"), kv(l.attributes), el("h3", {}, "Resource"), kv(l.resource),
      el("button", { type: "button", class: "context", onclick: async () => {
        const d = await api("/api/logs/context", { service: l.service, cursor: l.cursor, n: 10 });
        const line = (x, mark) => el("tr", { class: mark ? "expanded" : "" }, el("td", {}, time(x.ts_ns)), el("td", { class: "lvl-" + x.level }, x.level), el("td", { class: "body" }, x.body));
        ctx.replaceChildren(el("table", { class: "loglines" }, el("tbody", {}, d.before.map((x) => line(x)), line(l, true), d.after.map((x) => line(x)))));
      } }, "Show context"), ctx);
  }
  function lineRow(l) {
    const tr = el("tr", {},
      el("td", {}, el("button", { type: "button", class: "tog", "aria-expanded": "false", "aria-label": "Show all fields", onclick: (ev) => {
        const open = tr.nextSibling && tr.nextSibling.classList.contains("detail");
        ev.target.setAttribute("aria-expanded", String(!open)); ev.target.textContent = open ? "▸" : "▾";
        if (open) tr.nextSibling.remove(); else tr.after(el("tr", { class: "detail expanded" }, el("td", { colspan: 6 }, fields(l))));
      } }, "▸")),
      el("td", { style: "white-space:nowrap" }, time(l.ts_ns)),
      el("td", {}, l.service),
      el("td", { class: "lvl-" + l.level }, l.severity_text || l.level),
      el("td", { class: "body" }, l.body),
      el("td", {}, l.trace_id ? el("a", { href: link("/traces/" + l.trace_id, { span: l.span_id }), "aria-label": "Open the trace of this line" }, "trace") : ""));
    return tr;
  }
  function startTable(lines) {
    if (!lines.length) { host.replaceChildren(el("div", { class: "empty" }, "No line matches. Widen the time range, remove a filter, or send logs (see Start).")); tbody = null; return; }
    tbody = el("tbody", {}, lines.map(lineRow));
    host.replaceChildren(el("table", { class: "loglines", id: "log-table" }, el("thead", {}, el("tr", {}, ["", "Time", "Service", "Severity", "Body", "Trace"].map((h) => el("th", { scope: "col" }, h)))), tbody));
  }
  more.addEventListener("click", async () => {
    const q = query(state()); q.set("cursor", cursor);
    const d = await api("/api/logs", q);
    tbody.append(...d.lines.map(lineRow)); cursor = d.next_cursor; more.hidden = !cursor;
  });
  async function tailOnce() {
    if (!tailing || !newest) return;
    const q = query(state()); q.set("after", newest); q.set("from", "now-1h"); q.delete("to");
    const d = await api("/api/logs/tail", q);
    if (d.lines.length) {
      newest = d.lines[d.lines.length - 1].cursor;
      if (!tbody) startTable([]);
      for (const l of d.lines) tbody?.prepend(lineRow(l));
    }
    document.getElementById("tail-status").textContent = `Live tail on: ${d.lines.length} new lines at ${new Date().toLocaleTimeString()}`;
  }
  document.getElementById("tail").addEventListener("click", (ev) => {
    tailing = !tailing; ev.target.setAttribute("aria-pressed", String(tailing)); ev.target.textContent = tailing ? "Pause tail" : "Live tail";
    clearInterval(tailTimer);
    if (tailing) tailTimer = setInterval(tailOnce, 2000); else document.getElementById("tail-status").textContent = "Live tail paused.";
  });
  onChange(async (p) => {
    form.elements.q.value = p.get("q") || ""; form.elements.trace_id.value = p.get("trace_id") || ""; form.elements.span_id.value = p.get("span_id") || "";
    form.elements.attr.value = p.getAll("attr").join("; ");
    for (const c of form.querySelectorAll("input[name=level]")) c.checked = p.getAll("level").includes(c.value);
    const q = query(p);
    const [d, h, svcs] = await Promise.all([api("/api/logs", q), api("/api/logs/histogram", q), api("/api/logs/services", OH.timeParams(p))]);
    const sel = form.elements.service, chosen = p.getAll("service");
    sel.replaceChildren(...[...new Set([...svcs.services, ...chosen])].map((s) => el("option", { value: s, selected: chosen.includes(s) }, s || "(none)")));
    cursor = d.next_cursor; more.hidden = !cursor; newest = d.lines.length ? d.lines[0].cursor : `${Math.round(Date.now() * 1e6)}:0`;
    startTable(d.lines);
    const levels = [...new Set(h.buckets.map((b) => b.level))];
    const chart = document.getElementById("chart-histogram");
    await plot(chart, levels.map((lv) => {
      const pts = h.buckets.filter((b) => b.level === lv);
      return { type: "bar", name: lv, x: pts.map((b) => sec(b.t + h.window.step_s / 2)), y: pts.map((b) => b.n), marker: { color: LEVEL_COLOURS[lv] }, width: h.window.step_s * 900 };
    }), { barmode: "stack", dragmode: "zoom", xaxis: OH.windowAxis(h.window), yaxis: { fixedrange: true } });
    OH.zoomToRange(chart);
  });
})();
