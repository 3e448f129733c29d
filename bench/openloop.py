"""Open-loop load: offer a fixed request rate whatever the collector does, and time from the schedule.

A closed-loop sender waits for an answer before sending again, so a slow server slows the sender and
the slow period is sampled less (coordinated omission). Here request k of a sender is due at
t0 + k / rate; it is sent at that time even if earlier ones are still waiting, and its latency is
counted from when it was due, not from when it went out. Requests carry fresh trace and span ids:
every body is built before the clock starts (no body is sent twice), and sent by a lean HTTP/1.1
client (bench/http_post.py), so the senders take little of the CPU the collector needs.

`make bench` runs it at 500 requests/s and then a rate sweep (bench/run.py). Alone, against a fresh
`otelhouse serve` whose code is whatever PYTHONPATH names first, printing p50/p99/p99.9, peak RSS and
the collector's CPU per request (its event loop's, the whole process's, and by thread name), the
senders' CPU per request, and acknowledged against stored spans (counted in ClickHouse at the end):

    python bench/openloop.py --rate 500 --seconds 30
    python bench/openloop.py --rate 250 --seconds 15 --rounds 2
    python bench/openloop.py --rate 300 --set OTELHOUSE_COLLECTOR_WAL_BATCH_AGE_MS=200   # a setting
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the tree this file is in
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.http_post import Poster
from bench.ingest import Collector, cpu_seconds, say, thread_times
from bench.workload import fresh_bodies

MAX_OUTSTANDING = 4000  # bounds the sender's memory; requests beyond it count as failed
# each sender opens up to 400 connections (Poster), so the default 2 stay under collector.max_connections


@dataclass
class OpenTally:
    latencies: list[float] = field(default_factory=list)  # seconds from the scheduled send time
    acked_items: int = 0
    refused: int = 0
    failed: int = 0
    max_lag_s: float = 0.0  # how far the sender itself fell behind its schedule
    cpu_s: float = 0.0  # the sender process's CPU time while offering


async def _send(poster: Poster, body: bytes, items: int, due: float, tally: OpenTally) -> None:
    try:
        async with asyncio.timeout(60):
            status = await poster.post(body)
        if status == 200:
            tally.acked_items += items
        elif status in (429, 503):
            tally.refused += 1
        else:
            tally.failed += 1
    except (OSError, TimeoutError, ValueError):
        tally.failed += 1
    tally.latencies.append(time.perf_counter() - due)


async def _offer(url: str, rate: float, seconds: float, bodies: list[tuple[bytes, int]], phase: float) -> OpenTally:
    tally = OpenTally()
    poster = Poster(url, "application/x-protobuf")
    tasks: set[asyncio.Task] = set()
    start = time.perf_counter() + 0.2 + phase / rate
    for k, (body, items) in enumerate(bodies):
        due = start + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            tally.max_lag_s = max(tally.max_lag_s, -delay)
        if len(tasks) >= MAX_OUTSTANDING:
            tally.failed += 1
            continue
        task = asyncio.create_task(_send(poster, body, items, due, tally))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks)
    poster.close()
    return tally


def offer(url: str, rate: float, seconds: float, items: int, seed: int, phase: float) -> OpenTally:
    """Entry point of a sender process: offer `rate` trace requests/s of `items` spans for `seconds`.

    Every request's body is built before the clock starts, each with fresh trace and span ids (none is
    sent twice), so the sender's CPU during the offer is the sending only.
    """
    templates = fresh_bodies("traces", items, 8, seed)
    bodies = [(make(), n) for k in range(int(rate * seconds)) for make, n in (templates[k % len(templates)],)]
    started = time.process_time()
    tally = asyncio.run(_offer(url, rate, seconds, bodies, phase))
    tally.cpu_s = time.process_time() - started
    return tally


def percentile(sorted_values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of sorted values, nearest rank."""
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def offer_from(collector: Collector, rate: float, seconds: float, senders: int, items: int) -> list:
    """Offer `rate` trace requests/s from several sender processes; return their tallies."""
    ctx = mp.get_context("spawn")
    url = f"{collector.target('http')}/v1/traces"
    jobs = [(url, rate / senders, seconds, items, 2000 + i, i / senders) for i in range(senders)]
    with ctx.Pool(senders) as pool:
        return pool.starmap(offer, jobs)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds used so far by the process's threads, summed by thread name (the event loop: 'loop')."""
    out: dict[str, float] = {}
    for comm, run_ns, _, _ in thread_times(pid).values():
        name = "loop" if comm == "event loop" else comm.rstrip("0123456789_-") or comm  # a pool's threads as one
        out[name] = out.get(name, 0.0) + run_ns / 1e9
    return out


def open_loop(collector: Collector, rate: float, seconds: float, senders: int, items: int) -> dict:
    """Offer `rate` requests/s from several processes; return latency percentiles and counts."""
    collector.reset_peak_rss()
    pid = collector.proc.pid
    loop_cpu, cpu, threads = cpu_seconds(pid, pid), cpu_seconds(pid), thread_cpu(pid)
    tallies = offer_from(collector, rate, seconds, senders, items)
    drain = collector.wait_drained()
    loop_cpu, cpu = cpu_seconds(pid, pid) - loop_cpu, cpu_seconds(pid) - cpu
    threads = {k: v - threads.get(k, 0.0) for k, v in thread_cpu(pid).items()}
    latencies = sorted(x for t in tallies for x in t.latencies)
    acked = sum(t.acked_items for t in tallies)
    return {
        "offered_rps": rate,
        "requests": len(latencies),
        "acked_items": acked,
        "refused": sum(t.refused for t in tallies),
        "failed": sum(t.failed for t in tallies),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "p999_ms": round(percentile(latencies, 0.999) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "sender_max_lag_ms": round(max(t.max_lag_s for t in tallies) * 1000, 1),
        "sender_cpu_ms_per_request": round(sum(t.cpu_s for t in tallies) * 1000 / max(len(latencies), 1), 3),
        "peak_rss_mib": round(collector.peak_rss_mib(), 1),
        "drain_s": round(drain, 1),
        # CPU of the collector per request, from the first send to drained: the event loop's, and all
        "loop_cpu_ms_per_request": round(loop_cpu * 1000 / max(len(latencies), 1), 3),
        "cpu_ms_per_request": round(cpu * 1000 / max(len(latencies), 1), 3),
        # per request acknowledged (refused ones cost little, so they flatter the figure above)
        "cpu_ms_per_acked_request": round(cpu * 1000 * items / max(acked, 1), 3),
        # the same by thread name (threads of one pool together), the busiest first
        "thread_cpu_ms_per_request": {
            k: round(v * 1000 / max(len(latencies), 1), 3)
            for k, v in sorted(threads.items(), key=lambda kv: -kv[1])
            if v > 0
        },
    }


def stored_spans(data: Path, database: str) -> int:
    """Count the spans in ClickHouse (open the engine's folder once the collector has stopped)."""
    import clickhouse_connect

    client = clickhouse_connect.get_client(interface="chdb", path=str(data))
    return client.query(f"SELECT count() FROM {database}.otel_traces").result_rows[0][0]


CLI_OPTIONS = {  # option: (default, what it is)
    "--rate": (500.0, "requests/s offered"),
    "--seconds": (20.0, "length of the offer"),
    "--senders": (2, "sender processes"),
    "--items": (100, "spans per request"),
    "--rounds": (1, "offers in a row to the same collector"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, (default, text) in CLI_OPTIONS.items():
        parser.add_argument(name, type=type(default), default=default, help=f"{text} (default {default:g})")
    parser.add_argument(
        "--set", action="append", default=[], metavar="OTELHOUSE_X=V", help="a setting of the collector's (repeatable)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="otelhouse-openloop-"))
    collector = Collector(work / "clickhouse", "bench_openloop", native=True, **dict(s.split("=", 1) for s in args.set))
    acked = 0
    try:
        for _ in range(args.rounds):
            load = os.getloadavg()[0]
            r = open_loop(collector, args.rate, args.seconds, args.senders, args.items)
            acked += r["acked_items"]
            say(
                f"offered {args.rate:g} req/s of {args.items} spans for {args.seconds:g} s (load average {load:.1f}): "
                f"p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  p99.9 {r['p999_ms']} ms  max {r['max_ms']} ms  "
                f"refused {r['refused']}  failed {r['failed']}  sender lag {r['sender_max_lag_ms']} ms "
                f"(senders' CPU per request {r['sender_cpu_ms_per_request']} ms)  "
                f"peak RSS {r['peak_rss_mib']} MiB  CPU per request: loop {r['loop_cpu_ms_per_request']} ms, "
                f"process {r['cpu_ms_per_request']} ms (per acknowledged request {r['cpu_ms_per_acked_request']} ms)"
            )
            threads = r["thread_cpu_ms_per_request"].items()
            say("  by thread (ms per request): " + ", ".join(f"{k} {v}" for k, v in threads))
        collector.stop()
        say(f"acknowledged {acked:,} spans, stored {stored_spans(work / 'clickhouse', 'bench_openloop'):,}")
    finally:
        if collector.proc.poll() is None:
            collector.stop()
        shutil.rmtree(work, ignore_errors=True)  # the engine's data folder


if __name__ == "__main__":
    main()
