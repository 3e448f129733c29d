// Trace view: a virtualised waterfall (only visible rows are in the DOM), collapse/expand, search, span details.
// The waterfall arrives as one array per field (a span is an index, in tree order); a span's attributes,
// events, links, resource and scope are fetched when it is opened, and search within the trace asks the server.
"use strict";
(() => {
  const { el, api, set, onChange, link, dur, time, plot, colour } = OH;
  const id = document.getElementById("trace-id").dataset.traceId;
  const ROW = 24, wf = document.getElementById("wf"), inner = document.getElementById("wf-inner");
  let S = null, n = 0, index = new Map(), parent = [], visible = [], start = 0, total = 1;
  let collapsed = new Set(), matches = new Set(), selected = -1;
  const details = new Map(); // span id -> promise of its details

  function computeVisible() {
    visible = [];
    let hideBelow = Infinity;
    for (let i = 0; i < n; i++) {
      const d = S.depth[i];
      if (d > hideBelow) continue;
      hideBelow = collapsed.has(i) ? d : Infinity;
      visible.push(i);
    }
    inner.style.height = visible.length * ROW + "px";
  }
  function row(i, pos) {
    const name = S.name[i], service = S.service[i], open = !collapsed.has(i), c = colour(service);
    const left = ((S.start_ns[i] - start) / total) * 100, width = Math.max((S.duration_ns[i] / total) * 100, 0.1);
    const tog = S.children[i] ? el("button", { type: "button", class: "tog", "aria-label": (open ? "Collapse " : "Expand ") + name, "aria-expanded": String(open), onclick: (ev) => { ev.stopPropagation(); toggle(i); } }, open ? "▾" : "▸") : el("span", { class: "tog" }, "");
    return el("div", { class: `wf-row${S.status[i] === "Error" ? " err" : ""}${i === selected ? " selected" : ""}${matches.has(i) ? " match" : ""}`, style: `top:${pos * ROW}px`, "data-span-id": S.span_id[i], onclick: () => select(i) },
      el("div", { class: "wf-name", style: `padding-left:${Math.min(S.depth[i], 40) * 12 + 4}px`, title: `${service}: ${name}` }, tog, el("span", { style: `color:${c}` }, "■ "), `${service}: ${name}`),
      el("div", { class: "wf-track" }, el("div", { class: "wf-bar" + (S.critical[i] ? " crit" : ""), style: `left:${left}%;width:${width}%;background:${c}`, title: `${dur(S.duration_ns[i])} (self ${dur(S.self_ns[i])})` })));
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
  document.getElementById("collapse-all").addEventListener("click", () => { for (let i = 0; i < n; i++) if (S.children[i] && S.depth[i] > 0) collapsed.add(i); computeVisible(); draw(); });

  // the trace's time, widened by five minutes each side: its logs are there
  const around = () => ({ from: String(Math.floor(start / 1e6) - 300000), to: String(Math.ceil((start + total) / 1e6) + 300000) });
  function kv(obj) {
    const keys = Object.keys(obj || {}).sort();
    if (!keys.length) return el("p", { class: "muted" }, "none");
    return el("dl", { class: "kv" }, keys.map((k) => [el("dt", {}, k), el("dd", {}, obj[k])]));
  }
  function detailOf(i) {
    const sid = S.span_id[i];
    if (!details.has(sid)) details.set(sid, api(`/api/traces/${id}/spans/${sid}`).catch(() => { details.delete(sid); return null; })); // a failure is asked again next time
    return details.get(sid);
  }
  // what the waterfall already has, drawn at once; the rest follows when the span's details arrive
  function select(i, scroll = false) {
    selected = i;
    const sid = S.span_id[i], service = S.service[i], status = S.status[i];
    set({ span: sid }, false);
    if (scroll) { const pos = visible.indexOf(i); if (pos >= 0 && (pos * ROW < wf.scrollTop || pos * ROW > wf.scrollTop + wf.clientHeight - ROW)) wf.scrollTop = pos * ROW - wf.clientHeight / 2; }
    draw();
    const statusCell = el("dd", { class: status === "Error" ? "bad" : "" }, status), more = el("div", {}, el("p", { class: "muted" }, "Loading attributes, events and links…"));
    document.getElementById("detail").replaceChildren(
      el("h2", {}, S.name[i]),
      el("dl", { class: "kv" },
        el("dt", {}, "service"), el("dd", {}, el("a", { href: link("/services/" + encodeURIComponent(service)) }, service)), el("dt", {}, "kind"), el("dd", {}, S.kind[i]),
        el("dt", {}, "status"), statusCell,
        el("dt", {}, "start"), el("dd", {}, time(S.start_ns[i])), el("dt", {}, "duration"), el("dd", {}, dur(S.duration_ns[i])),
        el("dt", {}, "self time"), el("dd", {}, dur(S.self_ns[i])), el("dt", {}, "span id"), el("dd", {}, sid),
        el("dt", {}, "critical path"), el("dd", {}, S.critical[i] ? "yes" : "no")),
      el("p", {}, el("a", { id: "span-logs", href: link("/logs", { trace_id: id, span_id: sid, ...around() }) }, "Logs of this span")),
      more);
    detailOf(i).then((d) => {
      if (selected !== i) return;
      if (!d) { more.replaceChildren(el("p", { class: "muted" }, "The details of this span could not be loaded.")); return; }
      if (d.status_message) statusCell.append(": " + d.status_message);
      const events = d.events.map((e) => {
        const a = e.attributes || {}, stack = a["exception.stacktrace"];
        const rest = { ...a }; delete rest["exception.stacktrace"];
        return el("li", {}, el("strong", {}, e.name), " ", el("span", { class: "muted" }, time(e.time_ns, false)), kv(rest), stack ? el("pre", {}, stack) : null);
      });
      const links = d.links.map((l) => el("li", {}, el("a", { href: link("/traces/" + l.trace_id, { span: l.span_id }) }, `trace ${l.trace_id.slice(0, 12)}… span ${l.span_id}`), kv(l.attributes)));
      more.replaceChildren(
        el("h3", {}, "Attributes"), kv(d.attributes),
        el("h3", {}, `Events (${events.length})`), events.length ? el("ul", {}, events) : el("p", { class: "muted" }, "none"),
        el("h3", {}, `Links (${links.length})`), links.length ? el("ul", {}, links) : el("p", { class: "muted" }, "none"),
        el("h3", {}, "Resource"), kv(d.resource),
        el("h3", {}, "Scope"), el("p", {}, d.scope ? `${d.scope} ${d.scope_version}` : "–"));
    });
  }
  wf.addEventListener("keydown", (ev) => {
    const pos = visible.indexOf(selected);
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") { ev.preventDefault(); const k = visible[Math.min(visible.length - 1, Math.max(0, pos + (ev.key === "ArrowDown" ? 1 : -1)))]; if (k !== undefined) select(k, true); }
    else if ((ev.key === "ArrowLeft" || ev.key === "ArrowRight") && selected >= 0 && S.children[selected]) { if ((ev.key === "ArrowLeft") !== collapsed.has(selected)) toggle(selected); }
  });

  // search within the trace: the server matches names, services and attribute values; the last answer wins
  const find = document.getElementById("find"), count = document.getElementById("find-count");
  let findTimer = null, asked = null;
  find.addEventListener("input", () => { clearTimeout(findTimer); findTimer = setTimeout(() => set({ find: find.value.trim() }, false), 200); });
  async function applyFind(text) {
    if (text === asked) return;
    asked = text;
    const found = text ? await api(`/api/traces/${id}/find`, { q: text }).catch(() => null) : { span_ids: [] };
    if (asked !== text) return;
    if (!found) { asked = null; return; } // the error is shown; the same text may be asked again
    matches = new Set(found.span_ids.map((sid) => index.get(sid)).filter((i) => i !== undefined));
    count.textContent = text ? `${matches.size} matching spans` : "";
    // open the way to every match; each ancestor once (parent ids may even form a cycle)
    const walked = new Set();
    if (collapsed.size) for (const m of matches) for (let a = parent[m]; a >= 0 && !walked.has(a); a = parent[a]) { walked.add(a); collapsed.delete(a); }
    computeVisible(); draw();
  }

  // time by service; plotly.js loads without blocking the page, so this waits for the load event (onChange)
  function chart(services) {
    plot(document.getElementById("chart-breakdown"),
      [{ type: "bar", orientation: "h", y: services.map((s) => s.service), x: services.map((s) => s.self_ns / 1e6), marker: { color: services.map((s) => colour(s.service)) }, hovertemplate: "%{y}: %{x:.2f} ms<extra></extra>" }],
      { xaxis: { type: "linear", title: { text: "ms" } }, yaxis: { type: "category", rangemode: "normal", automargin: true }, showlegend: false });
  }
  // the waterfall is drawn as soon as its data is here
  function show(d) {
    S = d.spans; n = S.span_id.length; start = d.start_ns; total = Math.max(d.duration_ns, 1);
    index = new Map(S.span_id.map((sid, i) => [sid, i]));
    parent = S.parent_id.map((p) => { const i = index.get(p); return i === undefined ? -1 : i; });
    const errs = S.status.reduce((k, s) => k + (s === "Error"), 0);
    document.getElementById("summary").replaceChildren(`${n} spans · ${dur(d.duration_ns)} · started ${time(d.start_ns)} · `, el("span", { class: errs ? "bad" : "" }, `${errs} errors`), ` · ${d.services.length} services`);
    document.getElementById("trace-logs").href = link("/logs", { trace_id: id, ...around() });
    computeVisible(); draw();
    return d;
  }
  // asked for at once (the page also preloads it), not after every script has loaded
  const ready = api("/api/traces/" + id).then(show, () => null);
  let charted = false;
  onChange(async (p) => {
    const d = await ready;
    if (!d) return;
    if (!charted) { charted = true; chart(d.services); }
    if (document.activeElement !== find) find.value = p.get("find") || "";
    await applyFind(p.get("find") || "");
    const want = p.get("span"), i = want ? index.get(want) : undefined;
    if (i !== undefined && i !== selected) select(i, true);
  });
})();
