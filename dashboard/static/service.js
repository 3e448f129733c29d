// One service: operations, error rate and latency over time, errors, slowest requests, dependencies.
"use strict";
(() => {
  const { el, api, onChange, link, dur, pct, rate, change, table, plot, sec, time } = OH;
  const name = document.getElementById("service-name").dataset.service;
  const svc = (s) => el("a", { href: link("/services/" + encodeURIComponent(s)) }, s);
  const traceLink = (id, text) => el("a", { href: link("/traces/" + id) }, text || id.slice(0, 12) + "…");
  function edges(host, rows, other) {
    table(host, [
      { key: other, label: "Service", render: (e) => svc(e[other]) },
      { key: "rate", label: "Calls", num: true, render: (e) => rate(e.rate) },
      { key: "error_rate", label: "Errors", num: true, render: (e) => el("span", { class: e.error_rate > 0.01 ? "bad" : "" }, pct(e.error_rate)) },
      { key: "p95_ns", label: "p95", num: true, render: (e) => dur(e.p95_ns) },
    ], rows, { sort: "rate", asc: false, empty: "None in this time range." });
  }
  onChange(async (p) => {
    const tp = OH.timeParams(p);
    document.getElementById("to-traces").href = link("/traces", { service: name });
    document.getElementById("to-logs").href = link("/logs", { service: name });
    const d = await api("/api/services/" + encodeURIComponent(name), tp);
    table(document.getElementById("operations"), [
      { key: "name", label: "Operation", render: (o) => el("a", { href: link("/traces", { service: name, operation: o.name }) }, o.name) },
      { key: "rate", label: "Requests", num: true, render: (o) => el("span", {}, rate(o.rate), " ", change(o.rate, o.prev.rate, false)) },
      { key: "error_rate", label: "Errors", num: true, render: (o) => el("span", { class: o.error_rate > 0.01 ? "bad" : "" }, pct(o.error_rate), " ", change(o.error_rate, o.prev.error_rate)) },
      { key: "p50_ns", label: "p50", num: true, render: (o) => dur(o.p50_ns) },
      { key: "p95_ns", label: "p95", num: true, render: (o) => el("span", {}, dur(o.p95_ns), " ", change(o.p95_ns, o.prev.p95_ns)) },
      { key: "p99_ns", label: "p99", num: true, render: (o) => dur(o.p99_ns) },
    ], d.operations, { id: "operations-table", sort: "rate", asc: false, empty: "No server or consumer spans from this service in this time range." });
    const t = d.over_time.map((x) => sec(x.t));
    const chartErr = document.getElementById("chart-errors");
    plot(chartErr, [
      { x: t, y: d.over_time.map((x) => x.errors / x.calls), name: "error rate", type: "scatter", mode: "lines+markers", marker: { size: 4 }, line: { color: "#e15759" } },
      { x: t, y: d.over_time.map((x) => x.calls / d.window.step_s), name: "requests/s", type: "scatter", mode: "lines+markers", marker: { size: 4 }, yaxis: "y2", line: { color: "#4e79a7" } },
    ], { margin: { l: 50, r: 55, t: 24, b: 36 }, xaxis: OH.windowAxis(d.window), yaxis: { tickformat: ".1%", title: { text: "errors" } }, yaxis2: { overlaying: "y", side: "right", rangemode: "tozero", title: { text: "req/s" } } });
    OH.zoomToRange(chartErr);
    const ts = [...new Set(d.heatmap.map((h) => h.t))], les = [...new Set(d.heatmap.map((h) => h.le_ns))].sort((a, b) => a - b);
    const z = les.map(() => ts.map(() => 0));
    for (const h of d.heatmap) z[les.indexOf(h.le_ns)][ts.indexOf(h.t)] = h.n;
    const chartHeat = document.getElementById("chart-heatmap");
    // one column alone has no neighbour to size it by: give its width (a step) explicitly
    const columns = ts.length === 1 ? { x0: sec(ts[0]), dx: d.window.step_s * 1000 } : { x: ts.map(sec) };
    plot(chartHeat, [{ ...columns, y: les.map((l) => "≤ " + dur(l)), z, type: "heatmap", colorscale: "Viridis", hovertemplate: "%{x}<br>%{y}: %{z} spans<extra></extra>" }],
      { xaxis: OH.windowAxis(d.window), yaxis: { type: "category", rangemode: "normal" }, margin: { l: 80, r: 10, t: 24, b: 36 } });
    OH.zoomToRange(chartHeat);
    edges(document.getElementById("callers"), d.callers, "caller");
    edges(document.getElementById("callees"), d.callees, "callee");
    table(document.getElementById("errors"), [
      { key: "type", label: "Exception", render: (e) => e.type || el("span", { class: "muted" }, "(status)") },
      { key: "message", label: "Message" },
      { key: "operation", label: "Last operation" },
      { key: "n", label: "Count", num: true },
      { key: "last_ns", label: "Last seen", render: (e) => time(e.last_ns) },
      { key: "trace_id", label: "Latest trace", nosort: true, render: (e) => traceLink(e.trace_id) },
    ], d.errors, { id: "errors-table", sort: "n", asc: false, empty: "No errors in this time range." });
    table(document.getElementById("slowest"), [
      { key: "operation", label: "Operation" },
      { key: "duration_ns", label: "Duration", num: true, render: (s) => dur(s.duration_ns) },
      { key: "start_ns", label: "Started", render: (s) => time(s.start_ns) },
      { key: "status", label: "Status", render: (s) => el("span", { class: s.status === "Error" ? "bad" : "" }, s.status) },
      { key: "trace_id", label: "Trace", nosort: true, render: (s) => traceLink(s.trace_id) },
    ], d.slowest, { id: "slowest-table", sort: "duration_ns", asc: false });
  });
})();
