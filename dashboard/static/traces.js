// Trace search: the form lives in the URL; results as a table with duration bars and a scatter that opens traces.
"use strict";
(() => {
  const { el, api, state, set, onChange, link, dur, time, table, plot, sec, colour } = OH;
  const form = document.getElementById("search");
  const fields = ["service", "operation", "status", "min_ms", "max_ms", "trace_id", "limit"];
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form), u = {};
    for (const k of fields) u[k] = (f.get(k) || "").trim();
    u.attr = (f.get("attr") || "").split(";").map((s) => s.trim()).filter(Boolean);
    set(u);
  });
  onChange(async (p) => {
    for (const k of fields) form.elements[k].value = p.get(k) || (k === "limit" ? "50" : "");
    form.elements.attr.value = p.getAll("attr").join("; ");
    const q = new URLSearchParams(OH.timeParams(p));
    for (const k of fields) if (p.get(k)) q.set(k, p.get(k));
    for (const a of p.getAll("attr")) q.append("attr", a);
    const [d, svcs] = await Promise.all([api("/api/traces", q), api("/api/service-names", OH.timeParams(p))]);
    document.getElementById("service-list").replaceChildren(...svcs.services.map((s) => el("option", { value: s })));
    document.getElementById("operation-list").replaceChildren(...d.operations.map((o) => el("option", { value: o })));
    const max = Math.max(1, ...d.traces.map((t) => t.duration_ns));
    table(document.getElementById("results"), [
      { key: "root", label: "Trace", render: (t) => el("a", { href: link("/traces/" + t.trace_id) }, `${t.root_service}: ${t.root}`) },
      { key: "start_ns", label: "Started", render: (t) => time(t.start_ns) },
      { key: "duration_ns", label: "Duration", num: true, render: (t) => dur(t.duration_ns) },
      { key: "bar", label: "", nosort: true, render: (t) => el("div", { class: "bar" + (t.errors ? " err" : ""), style: `width:${Math.max(1, (100 * t.duration_ns) / max)}px`, title: dur(t.duration_ns) }) },
      { key: "spans", label: "Spans", num: true },
      { key: "errors", label: "Errors", num: true, render: (t) => el("span", { class: t.errors ? "bad" : "" }, t.errors) },
      { key: "services", label: "Services", nosort: true, render: (t) => t.services.map((s) => el("span", { class: "tag", style: `border-left:4px solid ${colour(s)}` }, s)) },
    ], d.traces, { id: "traces-table", sort: "start_ns", asc: false, empty: "No trace matches. Widen the time range or remove a filter." });
    const host = document.getElementById("chart-scatter");
    await plot(host, [{
      x: d.traces.map((t) => sec(t.start_ns / 1e9)), y: d.traces.map((t) => t.duration_ns / 1e6), customdata: d.traces.map((t) => t.trace_id),
      text: d.traces.map((t) => `${t.root_service}: ${t.root}`), mode: "markers", type: "scatter",
      marker: { size: 8, color: d.traces.map((t) => (t.errors ? "#e15759" : "#4e79a7")) }, hovertemplate: "%{text}<br>%{y:.2f} ms<extra></extra>",
    }], { xaxis: OH.windowAxis(d.window), yaxis: { title: { text: "ms" } }, showlegend: false });
    if (!host.dataset.click) { host.dataset.click = "1"; host.on("plotly_click", (ev) => { const id = ev.points[0]?.customdata; if (id) location.href = link("/traces/" + id); }); }
  });
})();
