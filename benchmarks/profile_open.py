"""Where an open-message request spends its time: pyinstrument over the app, in process (`--profile`).

Two profiles: first opens (the sealed view cache emptied before each, so every request decrypts and sanitizes)
and repeat opens (the rendering comes from the cache; the decision, unwrap and audit are the same).

`asyncio.to_thread` is run inline while profiling, because pyinstrument samples only the thread that
started it and the open path decrypts and sanitizes in a worker thread. Needs `pip install pyinstrument`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from benchmarks import http
from benchmarks.server import CSRF_COOKIE, SESSION_COOKIE, _code_from_outbox

T = TypeVar("T")
BASE_URL = "https://mailseal.bench"


async def _inline(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    return func(*args, **kwargs)


async def _profile(work: Path, iterations: int, html_size: int) -> str:
    import httpx

    from mailseal.config import Settings
    from mailseal.server import build_app

    data = work / "data"
    message_id = http.prepare(work, data, html_size)
    settings = Settings(data=str(data), public_url=BASE_URL, dev=True, log_level="WARNING",
                        relay_port=0, inbound_port=0)
    logging.disable(logging.INFO)  # the app's own logging config would print every request
    app = build_app(settings)
    # The app runs in this very loop and thread (not the test client's portal), so pyinstrument sees it.
    transport = httpx.ASGITransport(app=app)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        await client.get("/healthz")
        headers = {"x-csrftoken": client.cookies[CSRF_COOKIE]}
        asked = time.time()
        await client.post("/api/auth/code", json={"email": http.RECIPIENT}, headers=headers)
        code = _code_from_outbox(data, http.RECIPIENT, asked)
        response = await client.post("/api/auth/verify", json={"email": http.RECIPIENT, "code": code}, headers=headers)
        if response.status_code != 200 or SESSION_COOKIE not in client.cookies:
            raise RuntimeError("sign-in failed")
        url = f"/api/messages/{message_id}"
        for _ in range(5):  # warm caches and imports
            await client.get(url)
        views = app.state.services.views
        first = await _profiled(client, url, iterations, "first opens (view cache emptied before each)",
                                before=lambda: views.discard(message_id))
        repeat = await _profiled(client, url, iterations * 10, "repeat opens (rendering from the view cache)")
    return f"{html_size // 1024} KiB HTML message\n\n{first}\n{repeat}"


async def _profiled(client: Any, url: str, iterations: int, what: str,
                    before: Callable[[], None] = lambda: None) -> str:
    from pyinstrument import Profiler

    original = asyncio.to_thread
    asyncio.to_thread = _inline
    profiler = Profiler(interval=0.001, async_mode="enabled")
    try:
        started = time.perf_counter()
        profiler.start()
        for _ in range(iterations):
            before()
            response = await client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"open answered {response.status_code}")
        profiler.stop()
        elapsed = time.perf_counter() - started
    finally:
        asyncio.to_thread = original
    each = elapsed / iterations * 1000
    header = f"{iterations} {what}: {each:.2f} ms each (with profiler)\n"
    return header + profiler.output_text(unicode=True, color=False, show_all=False)


def profile_open(work: Path, *, iterations: int = 50, html_size: int = 50 * 1024) -> str:
    return asyncio.run(_profile(work, iterations, html_size))
