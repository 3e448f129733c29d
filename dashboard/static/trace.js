// Trace view: a virtualised waterfall (only visible rows are in the DOM), collapse/expand, search, span details.
"use strict";
(() => {
  const { el, api, state, set, onChange, link, dur, time, plot, colour } = OH;
  const id = document.getElementById("trace-id").dataset.traceId;
  const ROW = 24, wf = document.getElementById("wf"), inner = document.getElementById("wf-inner");
  let spans = [], resources = [], visible = [], start = 0, total = 1, collapsed = new Set(), matches = new Set(), selected = -1;

  function computeVisible() {
    visible = [];
    let hideBelow = Infinity;
    spans.forEach((s, i) => {
      if (s.depth > hideBelow) return;
      hideBelow = collapsed.has(i) ? s.depth : Infinity;
      visible.push(i);
    });
    inner.style.height = visible.length * ROW + "px";
  }
  function row(i, pos) {
    const s = spans[i], left = ((s.start_ns - start) / total) * 100, width = Math.max((s.duration_ns / total) * 100, 0.1);
    const tog = s.children ? el("button", { type: "button", class: "tog", "aria-label": (collapsed.has(i) ? "Expand " : "Collapse ") + s.name, "aria-expanded": String(!collapsed.has(i)), onclick: (ev) => { ev.stopPropagation(); toggle(i); } }, collapsed.has(i) ? "▸" : "▾") : el("span", { class: "tog" }, "");
    return el("div", { class: `wf-row${s.status === "Error" ? " err" : ""}${i === selected ? " selected" : ""}${matches.has(i) ? " match" : ""}`, style: `top:${pos * ROW}px`, "data-span-id": s.span_id, onclick: () => select(i) },
      el("div", { class: "wf-name", style: `padding-left:${Math.min(s.depth, 40) * 12 + 4}px`, title: `${s.service}: ${s.name}` }, tog, el("span", { style: `color:${colour(s.service)}` }, "■ "), `${s.service}: ${s.name}`),
      el("div", { class: "wf-track" }, el("div", { class: "wf-bar" + (s.critical ? " crit" : ""), style: `left:${left}%;width:${width}%;background:${colour(s.service)}`, title: `${dur(s.duration_ns)} (self ${dur(s.self_ns)})` })));
  }
  function draw() {
    const first = Math.max(0, Math.floor(wf.scrollTop / ROW) - 10), last = Math.min(visible.length, Math.ceil((wf.scrollTop + wf.clientHeight) / ROW) + 10);
    const rows = [];
    for (let k = first; k < last; k++) rows.push(row(visible[k], k));
    inner.replaceChildren(...rows);
  }
  let pending = false;
  wf.addEventListener("scroll", () => { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; draw(); }); } });
  function toggle(i) { if (collapsed.has(i)) collapsed.delete(i); else collapsed.add(i); computeVisible(); draw(); }
  document.getElementById("expand-all").addEventListener("click", () => { collapsed.clear(); computeVisible(); draw(); });
  document.getElementById("collapse-all").addEventListener("click", () => { spans.forEach((s, i) => { if (s.children && s.depth > 0) collapsed.add(i); }); computeVisible(); draw(); });

  // the trace's time, widened by five minutes each side: its logs are there
  const around = () => ({ from: String(Math.floor(start / 1e6) - 300000), to: String(Math.ceil((start + total) / 1e6) + 300000) });
  function kv(obj) {
    const keys = Object.keys(obj || {}).sort();
    if (!keys.length) return el("p", { class: "muted" }, "none");
    return el("dl", { class: "kv" }, keys.map((k) => [el("dt", {}, k), el("dd", {}, obj[k])]));
  }
  function select(i, scroll = false) {
    selected = i; const s = spans[i];
    set({ span: s.span_id }, false);
    if (scroll) { const pos = visible.indexOf(i); if (pos >= 0 && (pos * ROW < wf.scrollTop || pos * ROW > wf.scrollTop + wf.clientHeight - ROW)) wf.scrollTop = pos * ROW - wf.clientHeight / 2; }
    draw();
    const events = s.event_names.map((n, k) => {
      const a = s.event_attributes[k] || {}, stack = a["exception.stacktrace"];
      const rest = { ...a }; delete rest["exception.stacktrace"];
      return el("li", {}, el("strong", {}, n), " ", el("span", { class: "muted" }, time(s.event_times[k], false)), kv(rest), stack ? el("pre", {}, stack) : null);
    });
    const links = s.link_trace_ids.map((t, k) => el("li", {}, el("a", { href: link("/traces/" + t, { span: s.link_span_ids[k] }) }, `trace ${t.slice(0, 12)}… span ${s.link_span_ids[k]}`), kv(s.link_attributes[k])));
    document.getElementById("detail").replaceChildren(
      el("h2", {}, s.name),
      el("dl", { class: "kv" },
        el("dt", {}, "service"), el("dd", {}, el("a", { href: link("/services/" + encodeURIComponent(s.service)) }, s.service)), el("dt", {}, "kind"), el("dd", {}, s.kind),
        el("dt", {}, "status"), el("dd", { class: s.status === "Error" ? "bad" : "" }, s.status + (s.status_message ? ": " + s.status_message : "")),
        el("dt", {}, "start"), el("dd", {}, time(s.start_ns)), el("dt", {}, "duration"), el("dd", {}, dur(s.duration_ns)),
        el("dt", {}, "self time"), el("dd", {}, dur(s.self_ns)), el("dt", {}, "span id"), el("dd", {}, s.span_id),
        el("dt", {}, "critical path"), el("dd", {}, s.critical ? "yes" : "no")),
      el("p", {}, el("a", { id: "span-logs", href: link("/logs", { trace_id: id, span_id: s.span_id, ...around() }) }, "Logs of this span")),
      el("h3", {}, "Attributes"), kv(s.attributes),
      el("h3", {}, `Events (${events.length})`), events.length ? el("ul", {}, events) : el("p", { class: "muted" }, "none"),
      el("h3", {}, `Links (${links.length})`), links.length ? el("ul", {}, links) : el("p", { class: "muted" }, "none"),
      el("h3", {}, "Resource"), kv(resources[s.resource]),
      el("h3", {}, "Scope"), el("p", {}, s.scope ? `${s.scope} ${s.scope_version}` : "–"));
  }
  wf.addEventListener("keydown", (ev) => {
    const pos = visible.indexOf(selected);
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") { ev.preventDefault(); const n = visible[Math.min(visible.length - 1, Math.max(0, pos + (ev.key === "ArrowDown" ? 1 : -1)))]; if (n !== undefined) select(n, true); }
    else if ((ev.key === "ArrowLeft" || ev.key === "ArrowRight") && selected >= 0 && spans[selected].children) { if ((ev.key === "ArrowLeft") !== collapsed.has(selected)) toggle(selected); }
  });
  const find = document.getElementById("find");
  find.addEventListener("input", () => set({ find: find.value }, false));
  function applyFind(text) {
    const t = text.toLowerCase(); matches = new Set();
    if (t) spans.forEach((s, i) => { if ((s.name + " " + s.service + " " + Object.values(s.attributes).join(" ")).toLowerCase().includes(t)) matches.add(i); });
    document.getElementById("find-count").textContent = t ? `${matches.size} matching spans` : "";
    if (matches.size) { collapsed = new Set([...collapsed].filter((c) => ![...matches].some((m) => m > c && spans[m].depth > spans[c].depth))); computeVisible(); }
    draw();
  }
  let loaded = false;
  onChange(async (p) => {
    if (!loaded) {
      const d = await api("/api/traces/" + id);
      loaded = true; spans = d.spans; resources = d.resources; start = d.start_ns; total = Math.max(d.duration_ns, 1);
      const errs = spans.filter((s) => s.status === "Error").length;
      document.getElementById("summary").replaceChildren(`${spans.length} spans · ${dur(d.duration_ns)} · started ${time(d.start_ns)} · `, el("span", { class: errs ? "bad" : "" }, `${errs} errors`), ` · ${d.services.length} services`);
      document.getElementById("trace-logs").href = link("/logs", { trace_id: id, ...around() });
      computeVisible(); draw();
      plot(document.getElementById("chart-breakdown"), [{ type: "bar", orientation: "h", y: d.services.map((s) => s.service), x: d.services.map((s) => s.self_ns / 1e6), marker: { color: d.services.map((s) => colour(s.service)) }, hovertemplate: "%{y}: %{x:.2f} ms<extra></extra>" }],
        { xaxis: { type: "linear", title: { text: "ms" } }, yaxis: { type: "category", rangemode: "normal", automargin: true }, showlegend: false });
    }
    find.value = p.get("find") || ""; applyFind(find.value);
    const want = p.get("span"), i = want ? spans.findIndex((s) => s.span_id === want) : -1;
    if (i >= 0 && i !== selected) select(i, true);
  });
})();
