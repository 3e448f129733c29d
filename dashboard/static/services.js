// Services: one row per service with rate, errors, latency, sparklines and change against the previous period.
"use strict";
(() => {
  const { el, api, state, set, onChange, link, dur, pct, rate, change, table, sparkline } = OH;
  const host = document.getElementById("services-table"), filter = document.getElementById("filter");
  let data = [];
  function draw() {
    const f = (state().get("q") || "").toLowerCase();
    const rows = data.filter((s) => s.name.toLowerCase().includes(f));
    table(host, [
      { key: "name", label: "Service", render: (s) => el("a", { href: link("/services/" + encodeURIComponent(s.name)) }, s.name || "(no service.name)") },
      { key: "rate", label: "Requests", num: true, render: (s) => el("span", {}, rate(s.rate), " ", change(s.rate, s.prev.rate, false)) },
      { key: "spark_calls", label: "Requests over time", nosort: true, render: (s) => sparkline(s.spark, "calls") },
      { key: "error_rate", label: "Errors", num: true, render: (s) => el("span", { class: s.error_rate > 0.01 ? "bad" : "" }, pct(s.error_rate), " ", change(s.error_rate, s.prev.error_rate)) },
      { key: "spark_err", label: "Errors over time", nosort: true, render: (s) => sparkline(s.spark, "errors") },
      { key: "p50_ns", label: "p50", num: true, render: (s) => dur(s.p50_ns) },
      { key: "p95_ns", label: "p95", num: true, render: (s) => el("span", {}, dur(s.p95_ns), " ", change(s.p95_ns, s.prev.p95_ns)) },
      { key: "p99_ns", label: "p99", num: true, render: (s) => dur(s.p99_ns) },
    ], rows, { id: "services", sort: state().get("sort") || "name", empty: data.length ? "No service matches the filter." : "No server or consumer spans in this time range. Widen the range, or send traces (see Start)." });
  }
  filter.value = state().get("q") || "";
  filter.addEventListener("input", () => { set({ q: filter.value }, false); });
  let last = "";
  onChange(async (p) => {
    const key = JSON.stringify(OH.timeParams(p));
    if (key !== last || !data.length || p.get("refresh")) { last = key; data = (await api("/api/services", OH.timeParams(p))).services; }
    filter.value = p.get("q") || "";
    draw();
  });
})();
