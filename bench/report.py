"""Render the benchmark results (bench/run.py's dict) as bench/results.md."""

from __future__ import annotations


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _ingest(r: dict) -> list[str]:
    native, python, ceil = r.get("native", {}), r.get("python", {}), r.get("ceilings", {})
    lines = [
        "## Ingest, closed loop (items stored per second)",
        "",
        f"{r['args']['procs']} sender processes x {r['args']['concurrency']} requests in flight, "
        f"{r['args']['items']} items per request, {r['args']['seconds']:.0f} s per measurement; a rate counts "
        "only items acknowledged and then stored (the run waits for the write-ahead log to drain).",
        "",
        "| signal | OTLP/HTTP | OTLP/gRPC | ceiling: bare flat insert | HTTP / ceiling | Python pipeline (reference) "
        "| HTTP / reference | acknowledged = stored | peak RSS MiB (HTTP / gRPC) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for signal in r["args"]["signals"]:
        http, grpc = native.get(f"{signal}/http", {}), native.get(f"{signal}/grpc", {})
        acked = sum(x.get("acked_items", 0) for x in (http, grpc))
        stored = native.get(f"{signal}/stored")
        ref = python.get(f"{signal}/http", {}).get("rate")
        flat = ceil.get(signal, {}).get("flat_insert")
        lines.append(
            f"| {signal} | {_n(http.get('rate'))} | {_n(grpc.get('rate'))} | {_n(flat)} | "
            f"{_ratio(http.get('rate'), flat)} | {_n(ref)} | {_ratio(http.get('rate'), ref)} | "
            f"{'yes' if stored == acked else f'no: {acked:,} / {stored}'} ({acked:,}) | "
            f"{http.get('peak_rss_mib', '-')} / {grpc.get('peak_rss_mib', '-')} |"
        )
    return [*lines, ""]


def _payloads(r: dict) -> list[str]:
    p = r.get("payloads")
    if not p:
        return []
    replayed, fresh = p["replayed"]["rate"], p["fresh"]["rate"]
    return [
        "## Replayed bodies against fresh ids",
        "",
        f"Traces over OTLP/HTTP, same collector: 16 prebuilt requests replayed {replayed:,.0f} spans/s, fresh "
        f"random trace and span ids in every request {fresh:,.0f} spans/s (fresh / replayed {fresh / replayed:.2f}).",
        "",
    ]


def _open_loop(r: dict) -> list[str]:
    o = r.get("openloop")
    if not o:
        return []
    a = o["at_500"]
    lines = [
        "## Open loop (latency from the scheduled send time)",
        "",
        f"{r['args']['open_senders']} sender processes offer a fixed rate of OTLP/HTTP trace requests of "
        f"{r['args']['open_items']} spans with fresh ids; a request is sent when due even if earlier ones are "
        "still waiting, and its latency runs from when it was due (no coordinated omission).",
        "",
        "| offered requests/s | seconds | p50 ms | p99 ms | p99.9 ms | max ms | refused | failed | sender lag ms "
        "| collector peak RSS MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows = [(a, r["args"]["open_seconds"])] + [(s, r["args"]["sweep_seconds"]) for s in o["sweep"]]
    for x, seconds in rows:
        lines.append(
            f"| {x['offered_rps']} | {seconds:.0f} | {x['p50_ms']} | {x['p99_ms']} | {x['p999_ms']} | {x['max_ms']} | "
            f"{x['refused']} | {x['failed']} | {x['sender_max_lag_ms']} | {x['peak_rss_mib']} |"
        )
    stored = o.get("stored")
    lines += [
        "",
        f"- Highest offered rate with p99 under 100 ms (steps above): **{o['max_rps_p99_under_100ms']} requests/s** "
        f"({o['max_rps_p99_under_100ms'] * r['args']['open_items']:,} spans/s).",
        f"- At 500 requests/s: p99 {a['p99_ms']} ms (target under 50 ms: {_met(a['p99_ms'] < 50)}), peak RSS "
        f"{a['peak_rss_mib']} MiB (target under 1 GiB: {_met(a['peak_rss_mib'] < 1024)}).",
        f"- Acknowledged {o['acked_items']:,} spans, stored {_n(stored)}. A request the sender gave up on (no answer "
        "in 60 s: counted failed, its latency 60 s) may still have been stored, so stored can exceed acknowledged "
        f"by up to {r['args']['open_items']} spans per failed request; it may never fall below.",
        "",
    ]
    return lines


def _other(r: dict) -> list[str]:
    lines = []
    if r.get("routes"):
        lines += ["## Other ingest routes", ""]
        lines += [f"- {name}: {state}" for name, state in r["routes"].items()]
        lines += ["- Routes marked absent are not in this build and were not measured.", ""]
    if r.get("jsonlines"):
        j = r["jsonlines"]
        otlp_logs = r.get("native", {}).get("logs/http", {}).get("rate")
        lines += [
            f"JSON lines (logrus-shaped NDJSON, {r['args']['items']} lines per request, same senders as above): "
            f"**{j['rate']:,.0f} lines/s** stored; acknowledged {j['acked_items']:,} (checked with the OTLP log "
            "records above: the table holds exactly both); "
            f"beside OTLP/HTTP log records in the same run: {_ratio(j['rate'], otlp_logs)}.",
            "",
        ]
    if r.get("remote_write"):
        w = r["remote_write"]
        lines += [
            "Prometheus remote_write (node-exporter-like series, 500 series x 10 samples per snappy request, 2 "
            "processes x 4 in flight; ClickHouse decodes the WriteRequest): "
            f"**{w['rate']:,.0f} samples/s** end to end (until drained, {w['drain_s']} s after the load); "
            f"acknowledged {w['acked']:,}, stored {_n(w.get('stored'))}, refused {w['refused']}, failed {w['failed']}. "
            "Beside Prometheus and VictoriaMetrics: `make bench-prometheus`.",
            "",
        ]
    if r.get("pages"):
        lines += [
            "## Dashboard pages (after the ingest runs)",
            "",
            "| page | median ms | max ms |",
            "| --- | --- | --- |",
        ]
        for path, x in r["pages"].items():
            if "median_ms" in x:
                lines.append(f"| `{path}` | {x['median_ms']} | {x['max_ms']} |")
            else:
                lines.append(f"| `{path}` | not served (HTTP {x['status']}) | |")
        lines.append("")
    if r.get("archive"):
        a = r["archive"]
        lines += [
            "## Archive",
            "",
            f"{a['rows']:,} log rows to one zstd Parquet file in {a['seconds']} s: **{a['rows_per_s']:,.0f} rows/s** "
            f"({a['bytes'] / 2**20:,.1f} MiB), with the Parquet settings of retention's log rolling.",
            "",
        ]
    return lines


def write_report(r: dict) -> str:
    """Return results.md for one benchmark run."""
    load = r["load_average_at_start"]
    head = [
        "# Benchmark results",
        "",
        f"Run {r['started']} on {r['cores']} cores (load average {load[0]:.1f} at the start: the machine is "
        f"shared, so compare ratios within this run), {r['wall_s']:.0f} s in all. Produced by `make bench` "
        f"(`bench/run.py`); parts: {', '.join(r['args']['parts'])}. Method and history: docs/performance.md.",
        "",
    ]
    ingest = _ingest(r) if "native" in r and r["native"].get("traces/http") else []
    return "\n".join(head + ingest + _payloads(r) + _open_loop(r) + _other(r)).rstrip() + "\n"
