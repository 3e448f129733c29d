// KPI pages: tiles, charts, tables and funnels drawn from /api/kpi; download links follow the time range.
"use strict";
(() => {
  const { el, api, onChange, plot, sec, time } = OH;
  // series keep their colour by rank (largest first), so no two lines of one chart share a colour
  const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac"];
  const root = document.getElementById("kpi");

  // Numbers as the panel's format says, in the browser's locale; a currency panel grouped by currency
  // formats each row in its own currency.
  function fmt(v, panel, currency, compact = false) {
    if (v === null || v === undefined) return "–";
    const digits = panel.decimals ?? null;
    const opts = { maximumFractionDigits: digits ?? 2, minimumFractionDigits: digits ?? 0 };
    if (compact && Math.abs(v) >= 1e6) Object.assign(opts, { notation: "compact", maximumFractionDigits: 1, minimumFractionDigits: 0 });
    try {
      if (panel.format === "percent") return new Intl.NumberFormat(undefined, { ...opts, style: "percent", maximumFractionDigits: digits ?? 1 }).format(v);
      if (panel.format === "count") return new Intl.NumberFormat(undefined, { ...opts, maximumFractionDigits: digits ?? 0 }).format(v);
      const code = currency || panel.unit;
      if (panel.format === "currency" && code) return new Intl.NumberFormat(undefined, { ...opts, style: "currency", currency: code, maximumFractionDigits: digits ?? (Math.abs(v) >= 1000 ? 0 : 2) }).format(v);
    } catch (e) { /* not an ISO currency code: plain number and the unit */ }
    const plain = new Intl.NumberFormat(undefined, opts).format(v);
    return panel.unit && panel.format !== "count" ? `${plain} ${panel.unit}` : plain;
  }
  const pct = (r) => new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: Math.abs(r) < 0.1 ? 1 : 0 }).format(r);
  function groupCurrency(panel, group) {
    const i = panel.group_by.indexOf("currency");
    return panel.format === "currency" && i >= 0 ? group[i] : null;
  }

  // A change badge: arrow and sign for the direction, colour for good or bad (a rise may be bad).
  function badge(change, panel) {
    if (change === null || change === undefined) return el("span", { class: "badge muted" }, "no previous figure");
    const flat = Math.abs(change) < 0.005, up = change > 0;
    const good = flat ? null : (up === (panel.higher_is !== "bad"));
    const word = flat ? "unchanged" : good ? "better" : "worse";
    return el("span", { class: "badge " + (flat ? "flat" : good ? "good" : "bad"), title: `${word} than the previous period` },
      flat ? "■ " : up ? "▲ " : "▼ ", (up && !flat ? "+" : "") + pct(change), el("span", { class: "sr-only" }, ` (${word})`));
  }

  function tile(host, panel) {
    const d = panel.data;
    const kids = [el("p", { class: "kpi-value" + (d.value === null ? " muted" : "") }, d.value === null ? "No data" : fmt(d.value, panel, null, true))];
    kids.push(el("p", { class: "kpi-compare" }, badge(d.change, panel), " ", el("span", { class: "muted" }, "previous period: " + fmt(d.previous, panel))));
    if (d.target !== null && d.target !== undefined) {
      const share = d.progress || 0;
      kids.push(el("div", { class: "kpi-target" },
        el("div", { class: "track", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(Math.round(100 * share)), "aria-label": "progress towards the target" },
          el("div", { class: "fill" + (share >= 1 ? " done" : ""), style: `width:${Math.min(100, 100 * share).toFixed(1)}%` })),
        el("span", { class: "muted" }, `${pct(share)} of target ${fmt(d.target, panel)}`)));
    }
    host.replaceChildren(...kids);
  }

  function empty(host) {
    if (host.classList.contains("js-plotly-plot")) Plotly.purge(host);
    host.replaceChildren(el("div", { class: "empty" }, "No data in this time range."));
  }
  // A chart draws into its host; what the host showed before (loading, no data) goes first.
  function chartHost(host) { if (!host.classList.contains("js-plotly-plot")) host.replaceChildren(); return host; }
  const label = (panel, g) => g.length ? g.join(" · ") : (panel.title || panel.metric);
  const yaxis = (panel) => ({ tickformat: panel.format === "percent" ? ".0%" : "~s", title: { text: panel.unit || "" } });

  async function timeseries(host, panel) {
    const series = panel.data.series;
    if (!series.length) return empty(host);
    const bars = panel.type === "bar";
    const traces = series.map((s, i) => {
      const name = label(panel, s.group), cur = groupCurrency(panel, s.group), colour = PALETTE[i % PALETTE.length];
      return {
        type: bars ? "bar" : "scatter", mode: "lines+markers", name, x: s.points.map((p) => sec(p.t)), y: s.points.map((p) => p.value),
        text: s.points.map((p) => fmt(p.value, panel, cur)), hovertemplate: "%{x}<br>" + name.replace(/[<>&]/g, "") + ": %{text}<extra></extra>",
        marker: { color: colour, size: 4 }, line: { color: colour, width: 2 },
      };
    });
    await plot(chartHost(host), traces, { xaxis: OH.windowAxis(panel.window), yaxis: yaxis(panel), showlegend: series.length > 1 || series[0].group.length > 0, barmode: "stack" });
  }

  async function barByGroup(host, panel) {
    const rows = panel.data.rows.slice().reverse();  // largest on top
    if (!rows.length) return empty(host);
    const names = rows.map((r) => label(panel, r.group));
    host.style.height = `${Math.max(150, Math.min(280, 60 + 34 * rows.length))}px`;  // bars of a sensible thickness
    const bad = panel.higher_is === "bad";
    await plot(chartHost(host), [{
      type: "bar", orientation: "h", y: names, x: rows.map((r) => r.value), text: rows.map((r) => fmt(r.value, panel, groupCurrency(panel, r.group))),
      textposition: "auto", hovertemplate: "%{y}: %{text}<extra></extra>", marker: { color: bad ? "#e15759" : "#4e79a7" },
    }], { xaxis: { type: "linear", tickformat: "~s", rangemode: "tozero" }, yaxis: { type: "category", automargin: true }, margin: { l: 90, r: 10, t: 10, b: 30 }, showlegend: false });
  }

  function breakdown(host, panel) {
    const cols = panel.group_by.map((g, i) => ({ key: "g" + i, label: g, render: (r) => r.group[i], sort: (r) => r.group[i] }));
    OH.table(host, [
      ...cols,
      { key: "value", label: "Value", num: true, render: (r) => fmt(r.value, panel, groupCurrency(panel, r.group)) },
      { key: "previous", label: "Previous period", num: true, render: (r) => fmt(r.previous, panel, groupCurrency(panel, r.group)) },
      { key: "change", label: "Change", num: true, render: (r) => r.change === null ? el("span", { class: "muted", title: "no previous figure" }, "–") : badge(r.change, panel), sort: (r) => r.change ?? -Infinity },
      ...(panel.data.rows.some((r) => r.share !== null) ? [{ key: "share", label: "Share", num: true, render: (r) => el("span", { class: "share" }, el("span", { class: "bar", style: `width:${(40 * (r.share || 0)).toFixed(0)}px` }), pct(r.share || 0)) }] : []),
    ], panel.data.rows, { sort: "value", asc: false, class: "kpi-table" });
  }

  async function funnel(host, panel) {
    const steps = panel.data.steps;
    if (steps.every((s) => s.value === null)) return empty(host);
    const chart = el("div", { class: "chart" });
    const list = el("ol", { class: "kpi-steps" }, steps.map((s, i) => el("li", {},
      el("strong", {}, s.label), " ", fmt(s.value, panel),
      i ? el("span", { class: "muted" }, ` — ${s.from_previous === null ? "–" : pct(s.from_previous)} of the step before, ${s.from_first === null ? "–" : pct(s.from_first)} of the first`) : "")));
    host.replaceChildren(chart, list);
    await plot(chart, [{
      type: "funnel", y: steps.map((s) => s.label), x: steps.map((s) => s.value || 0), text: steps.map((s) => fmt(s.value, panel)),
      texttemplate: "%{text}<br>%{percentPrevious:.1%}", textfont: { color: "#fff" },
      marker: { color: steps.map((_, i) => ["#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2"][i % 5]) }, hoverinfo: "y+x+percent initial",
    }], { xaxis: { type: "linear" }, yaxis: { type: "category", automargin: true }, margin: { l: 130, r: 10, t: 10, b: 10 }, showlegend: false });
  }

  function draw(panel) {
    const host = document.querySelector(`#panel-${CSS.escape(panel.id)} .kpi-body`);
    if (panel.type === "tile") return tile(host, panel);
    if (panel.type === "table") return breakdown(host, panel);
    if (panel.type === "funnel") return funnel(host, panel);
    host.classList.add("chart");
    if (panel.type === "bar" && panel.data.rows) return barByGroup(host, panel);
    return timeseries(host, panel);
  }

  document.getElementById("kpi-print").addEventListener("click", () => window.print());
  // Paper is white whatever the theme: charts take print colours while printing, the theme's after.
  function recolour(printing) {
    const css = getComputedStyle(document.documentElement);
    const fg = printing ? "#111" : css.getPropertyValue("--fg").trim(), line = printing ? "#ccc" : css.getPropertyValue("--line").trim();
    for (const c of document.querySelectorAll(".js-plotly-plot")) {
      Plotly.relayout(c, { "font.color": fg, "xaxis.gridcolor": line, "yaxis.gridcolor": line });
      Plotly.Plots.resize(c);
    }
  }
  const printing = matchMedia("print");
  printing.addEventListener("change", () => recolour(printing.matches));
  window.addEventListener("beforeprint", () => recolour(true));
  window.addEventListener("afterprint", () => recolour(false));

  onChange(async (p) => {
    const d = await api(root.dataset.api, OH.timeParams(p));
    const w = d.window, prev = d.previous_window;
    document.getElementById("kpi-range").textContent =
      `${time(w.start_ns, true).slice(0, -4)} – ${time(w.end_ns, true).slice(0, -4)} (${OH.tzName}), compared with ${time(prev.start_ns, true).slice(0, -4)} – ${time(prev.end_ns, true).slice(0, -4)}`;
    const qs = new URLSearchParams(OH.timeParams(p)).toString();
    for (const a of root.querySelectorAll("a.csv, a.json")) a.href = a.getAttribute("href").split("?")[0] + (qs ? "?" + qs : "");
    await Promise.all(d.panels.map(draw));
  });
})();
