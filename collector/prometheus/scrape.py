"""Scrape one target: fetch its exposition as Prometheus would, map it to OTLP, keep its series for staleness."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from collector.prometheus import exposition, otlp
from otelhouse.config.scrape import ScrapeJob

# Prometheus' own Accept header: OpenMetrics preferred, then the text format.
ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
# Parsing and mapping a page costs ~0.2-0.5 ms per series: all but tiny pages go to a worker thread so
# the event loop keeps answering ingest requests meanwhile.
_THREAD_BYTES = 8 * 1024


class ScrapeFailed(Exception):
    """The target could not be scraped (down, slow, an error status, or an unreadable exposition).

    `body` is still stored: it holds up = 0 and the stale markers of the target's series.
    """

    def __init__(self, message: str, body: bytes = b"") -> None:
        super().__init__(message)
        self.body = body


@dataclass
class TargetState:
    """One target of a job: its URL, its labels, and the series its last scrape reported."""

    job: ScrapeJob
    address: str
    previous: dict[otlp.SeriesKey, tuple] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"{self.job.scheme}://{self.address}{self.job.metrics_path}"

    @property
    def target(self) -> exposition.Target:
        labels = {"job": self.job.name, "instance": self.address, **self.job.labels}
        return exposition.Target(labels, self.job.honor_labels, self.job.honor_timestamps)


def auth_headers(job: ScrapeJob) -> dict[str, str]:
    """Authorization for the job, read from its secret files at every scrape so rotation needs no restart."""
    if job.bearer_token_file:
        return {"Authorization": "Bearer " + Path(job.bearer_token_file).read_text().strip()}
    if job.basic_auth_username or job.basic_auth_password_file:
        password = Path(job.basic_auth_password_file).read_text().strip() if job.basic_auth_password_file else ""
        return {"Authorization": aiohttp.BasicAuth(job.basic_auth_username, password).encode()}
    return {}


async def fetch(session: aiohttp.ClientSession, state: TargetState, max_bytes: int) -> tuple[str, str]:
    """GET the target's exposition within the job's timeout; return (text, content type)."""
    job = state.job
    headers = {
        "Accept": ACCEPT,
        "X-Prometheus-Scrape-Timeout-Seconds": f"{job.timeout_s:g}",
        **auth_headers(job),
    }
    try:
        async with session.get(
            state.url, headers=headers, timeout=aiohttp.ClientTimeout(total=job.timeout_s)
        ) as response:
            if response.status != 200:
                raise ScrapeFailed(f"{state.url} answered HTTP {response.status}")
            chunks, size = [], 0
            async for chunk in response.content.iter_any():
                size += len(chunk)
                if size > max_bytes:
                    raise ScrapeFailed(
                        f"{state.url} sent more than {max_bytes} bytes (collector.max_decompressed_bytes)"
                    )
                chunks.append(chunk)
            text = b"".join(chunks).decode("utf-8", errors="replace")
            return text, response.headers.get("Content-Type", "")
    except TimeoutError:
        raise ScrapeFailed(f"{state.url} did not answer within {job.timeout_s:g} s") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise ScrapeFailed(f"{state.url}: {exc.__class__.__name__}: {exc}") from None


def build(state: TargetState, text: str | None, content_type: str, scrape_ns: int, seconds: float) -> bytes:
    """The OTLP request for one scrape (text None: the scrape failed): samples, up/duration, stale markers."""
    target = state.target
    families: list = []
    problem = ""
    if text is not None:
        try:
            families = exposition.parse_families(text, content_type)
        except ValueError as exc:
            problem = str(exc)
    openmetrics = content_type.lower().startswith(exposition.OPENMETRICS)
    b = exposition.convert(families, target, scrape_ns, openmetrics)
    samples = sum(len(f.samples) for f in families)
    exposition.add_scrape_series(b, target, scrape_ns, text is not None and not problem, seconds, samples)
    exposition.add_stale_markers(b, state.previous, scrape_ns)
    state.previous = b.seen
    if problem:
        raise ScrapeFailed(f"{state.url}: unreadable exposition: {problem}", b.encode())
    return b.encode()


async def scrape(session: aiohttp.ClientSession, state: TargetState, max_bytes: int) -> bytes:
    """Scrape a target; return the OTLP body. Raise ScrapeFailed carrying the body for a failed scrape."""
    scrape_ns = time.time_ns()
    started = time.monotonic()
    try:
        text, content_type = await fetch(session, state, max_bytes)
    except ScrapeFailed as exc:
        body = build(state, None, "", scrape_ns, time.monotonic() - started)
        raise ScrapeFailed(str(exc), body) from None
    seconds = time.monotonic() - started
    if len(text) > _THREAD_BYTES:
        return await asyncio.to_thread(build, state, text, content_type, scrape_ns, seconds)
    return build(state, text, content_type, scrape_ns, seconds)
