"""Phone timings in Chromium: from navigation (or the tap in the inbox) to the message text on screen,
under CDP throttling as a phone on a mobile network (Slow 4G: 1.6 Mbps down, 750 kbps up, 150 ms RTT;
4x CPU slowdown), against a real `mailseal serve`.

- first: a new browser profile (no service worker, nothing cached) opens `/m/<id>`;
- repeat: the same profile opens it again in a new document, the service worker installed;
- from inbox: the inbox is on screen, the person taps the message.
A plain-text mail and an HTML newsletter with inline images (about 140 KB as served). The time is the
median of a few runs; "on screen" is the text body's element, or the HTML frame loaded and fitted.
"""

from __future__ import annotations

import email.message
import email.policy
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks.results import Result, at_most, skipped
from benchmarks.server import (
    HOST,
    ROOT,
    SESSION_COOKIE,
    Server,
    free_port,
    protect_cli,
    running_server,
    server_env,
    sign_in,
)
from benchmarks.workload import newsletter_html

READER = "bob@gmail.com"
SENDER = "alice@example.org"
RUNS = 3
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
CPU_SLOWDOWN = 4
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
KINDS = ("text", "html")
GOALS = {("repeat", "text"): 1.0, ("repeat", "html"): 1.5}
LINES = [(f"phone {kind} {when}", "s") for kind in KINDS for when in ("first", "repeat", "from inbox")]
# The predicate runs in the page: it notes the moment the body is first on screen.
SHOWN = {
    "text": "() => { if (document.querySelector('div[data-testid=message-body]')) window.__shown ??= performance.now();"
            " return window.__shown; }",
    # The frame's load event (the app fits the frame in the same task); hooked as soon as the frame exists.
    "html": "() => { const frame = document.querySelector('iframe[data-testid=message-body]');"
            " if (frame && !frame.__hooked) { frame.__hooked = true;"
            " frame.addEventListener('load', () => { window.__shown ??= performance.now(); }); }"
            " return window.__shown; }",
}


def _image(size: int) -> bytes:
    """An incompressible PNG-typed part (the viewer only needs bytes: it is shown as a data: URL)."""
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8)


def newsletter_with_images() -> bytes:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Alice Example <{SENDER}>"
    message["To"] = READER
    message["Subject"] = "Team newsletter with pictures"
    message["Date"] = "Fri, 27 Nov 2026 09:00:00 +0000"
    message.set_content("The newsletter is in HTML.\n")
    html = newsletter_html(30 * 1024).replace(
        "<body>", "<body><img src='cid:hero@example.org' width='600'><img src='cid:chart@example.org' width='300'>", 1)
    message.add_alternative(html, subtype="html")
    related = message.get_payload()[1]
    related.add_related(_image(50_000), maintype="image", subtype="png", cid="<hero@example.org>")
    related.add_related(_image(30_000), maintype="image", subtype="png", cid="<chart@example.org>")
    return message.as_bytes()


def text_mail() -> bytes:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Alice Example <{SENDER}>"
    message["To"] = READER
    message["Subject"] = "Agenda for Thursday"
    message["Date"] = "Fri, 27 Nov 2026 09:00:00 +0000"
    words = "Hi Bob,\n\nThe agenda is at https://intranet.example.org/agenda. Call me on +44 20 7946 0958.\n"
    message.set_content(words * 4 + "\nAlice\n")
    return message.as_bytes()


def prepare(work: Path, data: Path) -> dict[str, str]:
    ids = {}
    for kind, raw in (("text", text_mail()), ("html", newsletter_with_images())):
        source = work / f"phone-{kind}.eml"
        source.write_bytes(raw)
        ids[kind] = protect_cli(data, source, work / f"phone-{kind}.html", sender=SENDER, to=READER)
    return ids


def _throttle(page: Any, context: Any) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})


def _new_context(browser: Any, server: Server, cookie: str) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True,
                                  has_touch=True, base_url=server.url)
    cookies = dict(part.strip().split("=", 1) for part in cookie.split(";"))
    context.add_cookies([{"name": name, "value": value, "domain": HOST, "path": "/", "secure": name == SESSION_COOKIE,
                          "httpOnly": name == SESSION_COOKIE, "sameSite": "Lax"} for name, value in cookies.items()])
    return context


def _navigate(page: Any, path: str, kind: str) -> float:
    page.goto(path, wait_until="commit")
    shown: float = page.wait_for_function(SHOWN[kind], polling="raf", timeout=60_000).json_value()
    return shown / 1000


def _from_inbox(page: Any, message_id: str, kind: str) -> float:
    page.goto("/", wait_until="commit")
    page.wait_for_selector(f"[data-testid=inbox-item][data-id='{message_id}']", timeout=60_000)
    start = page.evaluate("() => { window.__shown = undefined; return performance.now(); }")
    page.click(f"[data-testid=inbox-item][data-id='{message_id}']")
    shown: float = page.wait_for_function(SHOWN[kind], polling="raf", timeout=60_000).json_value()
    return (shown - start) / 1000


def _runs(browser: Any, server: Server, cookie: str, message_id: str, kind: str,
          repeats: int = RUNS) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"first": [], "repeat": [], "from inbox": []}
    for _ in range(repeats):
        context = _new_context(browser, server, cookie)
        try:
            page = context.new_page()
            _throttle(page, context)
            times["first"].append(_navigate(page, f"/m/{message_id}", kind))
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.goto("/install", wait_until="load")  # settle: the worker has precached the shell
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            times["repeat"].append(_navigate(page, f"/m/{message_id}", kind))
            times["from inbox"].append(_from_inbox(page, message_id, kind))
        finally:
            context.close()
    return times


def measure_against(server: Server, ids: dict[str, str]) -> list[Result]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return skipped(LINES, "Debian's chromium is not installed: phone timings not measured")
    cookie = sign_in(server, READER).cookie
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            for kind in KINDS:
                times = _runs(browser, server, cookie, ids[kind], kind)
                for when, values in times.items():
                    goal = GOALS.get((when, kind))
                    results.append(Result(f"phone {kind} {when}", statistics.median(values), "s",
                                          note=f"median of {len(values)}: " + ", ".join(f"{v:.2f}" for v in values),
                                          goal=at_most(goal, "s") if goal else None))
        finally:
            browser.close()
    return results


def measure(work: Path, data: Path) -> list[Result]:
    ids = prepare(work, data)
    with running_server(data) as server:
        return measure_against(server, ids)


def app_with_pwa_from_env() -> Any:
    """The app as `mailseal serve` builds it, serving the PWA from `MAILSEAL_BENCH_PWA_DIR` (another version)."""
    from mailseal.config import load_settings
    from mailseal.server import build_app

    return build_app(load_settings(), pwa_dir=Path(os.environ["MAILSEAL_BENCH_PWA_DIR"]), require_listeners=False)


@contextmanager
def server_with_pwa(data: Path, pwa_dir: Path) -> Iterator[Server]:
    """A second server on the same data folder whose PWA is `pwa_dir` (uvicorn, one worker, like `serve`)."""
    port, inbound_port = free_port(), free_port()
    env = {**server_env(data, port, inbound_port), "MAILSEAL_BENCH_PWA_DIR": str(pwa_dir)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "benchmarks.phone:app_with_pwa_from_env",
               "--host", HOST, "--port", str(port), "--log-level", "warning"]
    with open(data.parent / "server-other-pwa.log", "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603
        try:
            server = Server(data, port, inbound_port, process, "uvicorn")
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server with the other PWA did not start")
                time.sleep(0.2)
            yield server
        finally:
            process.terminate()
            process.wait(timeout=15)


def compare(before_pwa: Path, rounds: int = 3) -> str:
    """This PWA against `before_pwa` (e.g. `git archive <commit> pwa | tar -x -C DIR`), run after run in turn
    on one data folder, so a busy machine slows both alike. Returns a table of medians."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    times: dict[tuple[str, str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="mailseal-phone-") as tmp:
        work = Path(tmp)
        data = work / "data"
        ids = prepare(work, data)
        with running_server(data) as after, server_with_pwa(data, before_pwa) as before, sync_playwright() as pw:
            cookie = sign_in(after, READER).cookie
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            try:
                for _ in range(rounds):
                    for side, server in (("after", after), ("before", before)):
                        for kind in KINDS:
                            runs = _runs(browser, server, cookie, ids[kind], kind, repeats=1)
                            for when, values in runs.items():
                                times.setdefault((kind, when, side), []).extend(values)
            finally:
                browser.close()
    lines = [f"line                   before   after   (medians of {rounds}, interleaved)"]
    for kind in KINDS:
        for when in ("first", "repeat", "from inbox"):
            b = statistics.median(times[(kind, when, "before")])
            a = statistics.median(times[(kind, when, "after")])
            lines.append(f"phone {kind} {when:<11} {b:6.2f} s {a:6.2f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    print(compare(Path(sys.argv[1])))
