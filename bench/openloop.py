"""Open-loop load: offer a fixed request rate whatever the collector does, and time from the schedule.

A closed-loop sender waits for an answer before sending again, so a slow server slows the sender and
the slow period is sampled less (coordinated omission). Here request k of a sender is due at
t0 + k / rate; it is sent at that time even if earlier ones are still waiting, and its latency is
counted from when it was due, not from when it went out. Requests carry fresh trace and span ids.

`make bench` runs it at 500 requests/s and then a rate sweep (bench/run.py). Alone, against a fresh
`otelhouse serve` whose code is whatever PYTHONPATH names first, printing p50/p99/p99.9, peak RSS and
the collector's CPU per request (its event loop's, and the whole process's):

    python bench/openloop.py --rate 500 --seconds 20
    python bench/openloop.py --rate 250 --seconds 15 --rounds 2
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

import aiohttp

if __package__ in (None, ""):  # run as a script: the tree this file is in
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ingest import Collector, cpu_seconds, say
from bench.workload import fresh_bodies

MAX_OUTSTANDING = 4000  # bounds the sender's memory; requests beyond it count as failed


@dataclass
class OpenTally:
    latencies: list[float] = field(default_factory=list)  # seconds from the scheduled send time
    acked_items: int = 0
    refused: int = 0
    failed: int = 0
    max_lag_s: float = 0.0  # how far the sender itself fell behind its schedule


async def _send(session, url, body, items, due, tally) -> None:
    try:
        async with session.post(url, data=body, headers={"Content-Type": "application/x-protobuf"}) as response:
            await response.read()
            if response.status == 200:
                tally.acked_items += items
            elif response.status in (429, 503):
                tally.refused += 1
            else:
                tally.failed += 1
    except (aiohttp.ClientError, TimeoutError):
        tally.failed += 1
    tally.latencies.append(time.perf_counter() - due)


async def _offer(url: str, rate: float, seconds: float, templates, phase: float) -> OpenTally:
    tally = OpenTally()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks: set[asyncio.Task] = set()
        start = time.perf_counter() + 0.2 + phase / rate
        count = int(rate * seconds)
        for k in range(count):
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                tally.max_lag_s = max(tally.max_lag_s, -delay)
            if len(tasks) >= MAX_OUTSTANDING:
                tally.failed += 1
                continue
            make, items = templates[k % len(templates)]
            task = asyncio.create_task(_send(session, url, make(), items, due, tally))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
    return tally


def offer(url: str, rate: float, seconds: float, items: int, seed: int, phase: float) -> OpenTally:
    """Entry point of a sender process: offer `rate` trace requests/s of `items` spans for `seconds`."""
    templates = fresh_bodies("traces", items, 8, seed)
    return asyncio.run(_offer(url, rate, seconds, templates, phase))


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


def open_loop(collector: Collector, rate: float, seconds: float, senders: int, items: int) -> dict:
    """Offer `rate` requests/s from several processes; return latency percentiles and counts."""
    collector.reset_peak_rss()
    pid = collector.proc.pid
    loop_cpu, cpu = cpu_seconds(pid, pid), cpu_seconds(pid)
    tallies = offer_from(collector, rate, seconds, senders, items)
    drain = collector.wait_drained()
    loop_cpu, cpu = cpu_seconds(pid, pid) - loop_cpu, cpu_seconds(pid) - cpu
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
        "peak_rss_mib": round(collector.peak_rss_mib(), 1),
        "drain_s": round(drain, 1),
        # CPU of the collector per request, from the first send to drained: the event loop's, and all
        "loop_cpu_ms_per_request": round(loop_cpu * 1000 / max(len(latencies), 1), 3),
        "cpu_ms_per_request": round(cpu * 1000 / max(len(latencies), 1), 3),
    }


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
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="otelhouse-openloop-"))
    collector = Collector(work / "clickhouse", "bench_openloop", native=True)
    try:
        for _ in range(args.rounds):
            load = os.getloadavg()[0]
            r = open_loop(collector, args.rate, args.seconds, args.senders, args.items)
            say(
                f"offered {args.rate:g} req/s of {args.items} spans for {args.seconds:g} s (load average {load:.1f}): "
                f"p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  p99.9 {r['p999_ms']} ms  max {r['max_ms']} ms  "
                f"refused {r['refused']}  failed {r['failed']}  sender lag {r['sender_max_lag_ms']} ms  "
                f"peak RSS {r['peak_rss_mib']} MiB  CPU per request: loop {r['loop_cpu_ms_per_request']} ms, "
                f"process {r['cpu_ms_per_request']} ms"
            )
    finally:
        collector.stop()
        shutil.rmtree(work, ignore_errors=True)  # the engine's data folder


if __name__ == "__main__":
    main()
