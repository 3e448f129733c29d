"""Open-loop load: offer a fixed request rate whatever the collector does, and time from the schedule.

A closed-loop sender waits for an answer before sending again, so a slow server slows the sender and
the slow period is sampled less (coordinated omission). Here request k of a sender is due at
t0 + k / rate; it is sent at that time even if earlier ones are still waiting, and its latency is
counted from when it was due, not from when it went out. Requests carry fresh trace and span ids.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp

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
