// Metrics explorer: find a metric, then aggregate, group and filter it; exemplars open their traces.
"use strict";
(() => {
  const { el, api, state, set, onChange, link, table, plot, sec } = OH;
  const AGGS = { gauge: ["avg", "sum", "min", "max"], sum: ["rate", "increase", "sum", "avg", "min", "max"], summary: ["avg", "sum", "min", "max"], histogram: ["p50", "p90", "p99"], exponential_histogram: ["p50", "p90", "p99"] };
  const search = document.getElementById("f-search"), controls = document.getElementById("controls");
  let catalog = [], lastKey = "";
  search.addEventListener("input", () => set({ search: search.value }, false));
  controls.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(controls);
    set({ agg: f.get("agg"), group: f.getAll("group"), step: f.get("step"), attr: (f.get("attr") || "").split(";").map((s) => s.trim()).filter(Boolean) });
  });
  onChange(async (p) => {
    const key = JSON.stringify([OH.timeParams(p), p.get("search")]);
    if (key !== lastKey || p.get("refresh")) { lastKey = key; catalog = (await api("/api/metrics", { ...OH.timeParams(p), search: p.get("search") || "" })).metrics; }
    search.value = p.get("search") || "";
    const name = p.get("name"), kind = p.get("kind");
    table(document.getElementById("catalog"), [
      { key: "name", label: "Metric", render: (m) => el("a", { href: "#", "aria-current": m.name === name && m.kind === kind ? "true" : null, onclick: (ev) => { ev.preventDefault(); set({ name: m.name, kind: m.kind, agg: "", group: [], attr: [] }); } }, m.name) },
      { key: "kind", label: "Type", render: (m) => m.kind === "sum" ? (m.monotonic ? "counter" : "up-down counter") : m.kind.replace("_", " ") },
      { key: "class", label: "Class", render: (m) => el("span", { class: "tag " + m.class, title: m.class === "business" ? "Business metric: feeds KPI pages" : "Technical metric" }, m.class) },
      { key: "unit", label: "Unit" },
      { key: "description", label: "Description" },
      { key: "labels", label: "Labels", nosort: true, render: (m) => m.labels.map((l) => el("span", { class: "tag" }, l)) },
    ], catalog, { id: "catalog-table", sort: "name", empty: "No metric in this time range" + (p.get("search") ? " matches the search." : ". Send metrics (see Start).") });
    const section = document.getElementById("explore");
    const meta = catalog.find((m) => m.name === name && m.kind === kind);
    section.hidden = !name;
    if (!name) return;
    document.getElementById("metric-title").textContent = name;
    document.getElementById("metric-info").textContent = meta ? `${meta.kind.replace("_", " ")}${meta.unit ? ", unit " + meta.unit : ""}${meta.description ? " — " + meta.description : ""}` : "";
    const aggs = AGGS[kind] || AGGS.gauge, agg = p.get("agg") || aggs[0];
    controls.elements.agg.replaceChildren(...aggs.map((a) => el("option", { value: a, selected: a === agg }, a)));
    const groups = p.getAll("group");
    controls.elements.group.replaceChildren(...["service.name", ...(meta ? meta.labels : [])].map((l) => el("option", { value: l, selected: groups.includes(l) }, l)));
    controls.elements.attr.value = p.getAll("attr").join("; ");
    controls.elements.step.value = p.get("step") || "";
    const q = new URLSearchParams({ ...OH.timeParams(p), name, kind, agg });
    for (const g of groups) q.append("group", g);
    for (const a of p.getAll("attr")) q.append("attr", a);
    const d = await api("/api/metrics/series", q);
    const traces = d.series.map((s) => ({ type: "scatter", mode: "lines", name: s.group.length ? s.group.map((g, i) => `${groups[i]}=${g}`).join(", ") : name, x: s.points.map((pt) => sec(pt.t)), y: s.points.map((pt) => pt.value), line: { shape: "hv" } }));
    if (d.exemplars.length && !["rate", "increase"].includes(agg)) traces.push({ type: "scatter", mode: "markers", name: "exemplars", x: d.exemplars.map((e) => sec(e.ts_ns / 1e9)), y: d.exemplars.map((e) => e.value), customdata: d.exemplars.map((e) => e.trace_id), marker: { symbol: "diamond", size: 9, color: "#b07aa1" }, hovertemplate: "%{y}<br>trace %{customdata}<extra></extra>" });
    document.getElementById("exemplar-note").hidden = traces.length === d.series.length;
    const chart = document.getElementById("chart-series");
    await plot(chart, traces, { xaxis: OH.windowAxis(d.window), yaxis: { title: { text: `${agg}${meta && meta.unit ? " (" + meta.unit + ")" : ""}` } }, showlegend: true });
    OH.zoomToRange(chart);
    if (!chart.dataset.click) { chart.dataset.click = "1"; chart.on("plotly_click", (ev) => { const id = ev.points[0]?.customdata; if (id) location.href = link("/traces/" + id); }); }
  });
})();
