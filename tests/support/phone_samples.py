"""Sample mail for the phone layout tests, the screenshots and the phone benchmark: a 600 px newsletter,
a plain-text mail with links and quoted text, a Do-Not-Forward mail, and a conversation of six (sealed
replies sent through the HTTP API by both people, as the app would)."""

from __future__ import annotations

import email
import email.policy
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import httpx

from support.browser import seal
from support.live_server import LiveServer
from support.mailseal_app import simple_mail

READER = "bob@gmail.com"
SENDER = "alice@example.org"
_CODE = re.compile(r"\b(\d{8})\b")

# A table-based 600 px newsletter as mail tools make them: fixed widths, a wide banner, two columns.
NEWSLETTER = (
    '<table width="600" cellpadding="0" cellspacing="0" style="width:600px;font-family:Arial,sans-serif;color:#1f2937">'
    '<tr><td style="background:#1d4ed8;color:#ffffff;padding:24px;font-size:28px;font-weight:bold">'
    "Board pack, Q4</td></tr>"
    '<tr><td style="padding:20px;font-size:16px;line-height:24px"><p>Dear Bob,</p><p>Please find the '
    '<b>draft figures</b> for the board meeting. Revenue is up <span style="color:#15803d">12%</span> on '
    "last quarter, costs are flat and the cash position is the strongest it has been in three years.</p>"
    '<table width="560" cellpadding="8"><tr><td width="280" style="background:#eef2ff">Agenda<br>Figures'
    '<br>Risks</td><td width="280" style="background:#fef3c7">Vote on the budget<br>Appoint the auditor'
    "</td></tr></table><p>Best regards,<br>Alice</p></td></tr></table>"
)
TEXT_MAIL = (
    "Hi Bob,\n\nThe agenda is at https://intranet.example.org/board/agenda?q=4. If anything is unclear, "
    "write to carol.jones@example.org or call me on +44 20 7946 0958.\n\nAlice\n\n"
    "On Tue, 1 Dec 2026 at 09:12, Bob <bob@gmail.com> wrote:\n> Can you send the agenda?\n>\n"
    "> I would like to read it before the meeting.\n> Thanks, Bob\n"
)
THREAD_REPLIES = (
    (READER, "Thanks Alice, I will read it tonight."),
    (SENDER, "Great. The second page has the risks we discussed."),
    (READER, "Page two is clear. One question on the auditor: is it still the same firm?"),
    (SENDER, "Yes, same firm, new partner. I will introduce you on Thursday."),
    (READER, "Perfect, see you on Thursday."),
)


@dataclass(frozen=True)
class Samples:
    newsletter: str
    text: str
    do_not_forward: str
    thread: tuple[str, ...]  # oldest first


def _cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            return jar[name].value
    raise RuntimeError(f"no {name} cookie")


def _code(data: Path, address: str, after: float) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for path in sorted((data / "outbox" / "new").glob("*"), key=lambda p: p.stat().st_mtime, reverse=True):
            if path.stat().st_mtime < after - 1:
                continue
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            found = _CODE.search(body.get_content() if body is not None else "")
            if address in str(message.get("To", "")) and found:
                return found.group(1)
        time.sleep(0.1)
    raise RuntimeError(f"no passcode for {address}")


def api_client(server: LiveServer, address: str) -> httpx.Client:
    """An HTTP client signed in as `address` (Secure cookies carried by hand over plain loopback http)."""
    client = httpx.Client(base_url=server.url, timeout=60)
    csrf = _cookie(client.get("/healthz"), "csrftoken")
    client.headers.update({"x-csrftoken": csrf, "cookie": f"csrftoken={csrf}"})
    asked = time.time()
    client.post("/api/auth/code", json={"email": address}).raise_for_status()
    answer = client.post("/api/auth/verify", json={"email": address, "code": _code(server.data, address, asked)})
    answer.raise_for_status()
    client.headers["cookie"] = f"csrftoken={csrf}; __Host-mailseal={_cookie(answer, '__Host-mailseal')}"
    return client


def make_samples(server: LiveServer, tmp: Path) -> Samples:
    folders = [tmp / f"sample-{i}" for i in range(4)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    newsletter, _ = seal(server, simple_mail(subject="Board pack, Q4", html=NEWSLETTER,
                                             attachment=("figures-q4.pdf", "application/pdf", b"%PDF-1.4\n" * 500)),
                         folders[0])
    photo = (Path(__file__).resolve().parents[2] / "pwa" / "icons" / "icon-512.png").read_bytes()
    text, _ = seal(server, simple_mail(subject="Agenda for Thursday", body=TEXT_MAIL,
                                       attachment=("room-plan.png", "image/png", photo)), folders[1])
    dnf, _ = seal(server, simple_mail(subject="Salary review — confidential",
                                      body="Hi Bob,\n\nYour new salary starts in January.\n\nAlice"),
                  folders[2], template="do-not-forward", expires_days=30)
    first, _ = seal(server, simple_mail(subject="Budget 2027", body="Bob, the budget draft is ready for you."),
                    folders[3])
    thread = [first]
    clients = {READER: api_client(server, READER), SENDER: api_client(server, SENDER)}
    try:
        for author, words in THREAD_REPLIES:
            answer = clients[author].post(f"/api/messages/{thread[-1]}/reply", files={"body": (None, words)})
            answer.raise_for_status()
            thread.append(answer.json()["id"])
    finally:
        for client in clients.values():
            client.close()
    return Samples(newsletter=newsletter, text=text, do_not_forward=dnf, thread=tuple(thread))
