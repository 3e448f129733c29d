// Service map: services on a circle, arrows for calls labelled with call and error rates; a table of edges.
"use strict";
(() => {
  const { el, api, onChange, link, pct, rate, dur, table, plot, colour } = OH;
  onChange(async (p) => {
    const d = await api("/api/map", OH.timeParams(p));
    const names = d.nodes.map((n) => n.name).sort();
    const pos = {};
    names.forEach((n, i) => { const a = (2 * Math.PI * i) / Math.max(names.length, 1) - Math.PI / 2; pos[n] = [Math.cos(a), Math.sin(a)]; });
    const host = document.getElementById("chart-map");
    const annotations = d.edges.map((e) => ({
      x: pos[e.callee][0], y: pos[e.callee][1], ax: pos[e.caller][0], ay: pos[e.caller][1], xref: "x", yref: "y", axref: "x", ayref: "y",
      showarrow: true, arrowhead: 2, arrowsize: 1.2, standoff: 14, startstandoff: 14, arrowcolor: e.error_rate > 0.01 ? "#e15759" : "#8a94a6",
    }));
    const labels = {
      x: d.edges.map((e) => (pos[e.caller][0] + pos[e.callee][0]) / 2), y: d.edges.map((e) => (pos[e.caller][1] + pos[e.callee][1]) / 2),
      text: d.edges.map((e) => `${rate(e.rate)} · ${pct(e.error_rate)} err`), mode: "text", type: "scatter", hoverinfo: "skip", textfont: { size: 10 },
    };
    const nodes = {
      x: names.map((n) => pos[n][0]), y: names.map((n) => pos[n][1]), text: names, customdata: names, mode: "markers+text", type: "scatter", textposition: "top center",
      marker: { size: 22, color: names.map(colour), line: { width: 1, color: "#fff" } }, hovertemplate: "%{text}<extra></extra>",
    };
    const empty = !names.length;
    await plot(host, [labels, nodes], {
      showlegend: false, annotations, xaxis: { visible: false, type: "linear", range: [-1.4, 1.4] }, yaxis: { visible: false, range: [-1.3, 1.3], rangemode: "normal" },
      margin: { l: 10, r: 10, t: 10, b: 10 },
    });
    if (!host.dataset.click) { host.dataset.click = "1"; host.on("plotly_click", (ev) => { const pt = ev.points.find((q) => q.customdata); if (pt) location.href = link("/services/" + encodeURIComponent(pt.customdata)); }); }
    host.parentElement.hidden = empty;
    table(document.getElementById("edges"), [
      { key: "caller", label: "Caller", render: (e) => el("a", { href: link("/services/" + encodeURIComponent(e.caller)) }, e.caller) },
      { key: "callee", label: "Callee", render: (e) => el("a", { href: link("/services/" + encodeURIComponent(e.callee)) }, e.callee) },
      { key: "rate", label: "Calls", num: true, render: (e) => rate(e.rate) },
      { key: "calls", label: "Count", num: true },
      { key: "error_rate", label: "Errors", num: true, render: (e) => el("span", { class: e.error_rate > 0.01 ? "bad" : "" }, pct(e.error_rate)) },
      { key: "p95_ns", label: "Callee p95", num: true, render: (e) => dur(e.p95_ns) },
    ], d.edges, { id: "edges-table", sort: "rate", asc: false, empty: "No calls between services in this time range. Edges need client spans with server spans of another service as children (context propagation)." });
  });
})();
