"""Fetching a target: whole pages however they are chunked, the size limit, auth headers from files."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from collector.prometheus.scrape import ACCEPT, ScrapeFailed, TargetState, fetch
from otelhouse.config.scrape import ScrapeJob


async def test_fetch_reads_a_large_page_whole_and_enforces_the_limit(aiohttp_server, tmp_path):
    page = "".join(f'big{{i="{i}"}} {i}\n' for i in range(20_000))  # ~400 KB, many TCP chunks
    seen = {}

    async def metrics(request: web.Request) -> web.Response:
        seen.update(request.headers)
        return web.Response(text=page, content_type="text/plain")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    server = await aiohttp_server(app)
    (tmp_path / "token").write_text("s3cret\n")
    address = f"127.0.0.1:{server.port}"
    job = ScrapeJob(name="j", targets=(address,), bearer_token_file=str(tmp_path / "token"))
    state = TargetState(job, address)
    async with aiohttp.ClientSession() as session:
        text, content_type = await fetch(session, state, 10_000_000)
        assert text == page and content_type.startswith("text/plain")
        assert seen["Authorization"] == "Bearer s3cret" and seen["Accept"] == ACCEPT
        with pytest.raises(ScrapeFailed, match="more than 1000 bytes"):
            await fetch(session, state, 1000)
