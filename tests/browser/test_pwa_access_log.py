"""The access log in the app at 390x844: a recipient is told opens are recorded and sees only their own
events; the sender sees both recipients' opens and revokes from the app after a confirmation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.browser import sign_in
from support.live_server import LiveServer
from support.mailseal_app import simple_mail

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
BOB, CAROL, ALICE = "bob@gmail.com", "carol@yahoo.com", "alice@example.org"
# Set to a folder (docs/screenshots) to keep the pictures this test takes; otherwise they go to tmp_path.
SHOTS = os.environ.get("MAILSEAL_ACCESS_LOG_SHOTS")


def seal_for_two(server: LiveServer, tmp: Path, subject: str) -> str:
    source = tmp / "in.eml"
    source.write_bytes(simple_mail(subject=subject, to=f"{BOB}, {CAROL}"))
    result = subprocess.run(
        [sys.executable, "-m", "mailseal", "--data", str(server.data), "protect", str(source), "--from", ALICE,
         "--to", BOB, "--to", CAROL, "-o", str(tmp / "message.html")],
        capture_output=True, text=True, check=True, env=server.env)
    return result.stdout.strip()


def person(browser: Any, server: LiveServer, address: str, scheme: str = "light") -> Any:
    context = browser.new_context(**PHONE, base_url=server.url, color_scheme=scheme)
    page = context.new_page()
    sign_in(page, server, address)
    return page


def open_message(page: Any, message_id: str) -> None:
    page.goto(f"/m/{message_id}")
    page.wait_for_selector(f"[data-testid=message][data-id='{message_id}']")
    page.wait_for_selector("[data-testid=access-log]")


def open_log(page: Any) -> str:
    page.click("[data-testid=access-log] summary")
    page.wait_for_selector("[data-testid=access-log] [data-testid=access-events]")
    text: str = page.inner_text("[data-testid=access-log]")
    return text


def shot(page: Any, tmp: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp
    page.screenshot(path=str(folder / f"{name}.png"))


def test_recipients_see_their_own_events_and_the_sender_revokes(browser: Any, server: LiveServer,
                                                                tmp_path: Path) -> None:
    message_id = seal_for_two(server, tmp_path, "Board minutes, December")
    bob = person(browser, server, BOB)
    open_message(bob, message_id)
    notice = bob.locator("[data-testid=access-notice]")
    assert notice.is_visible() and "sender" in notice.inner_text()
    bob.click("[data-testid=access-notice-ok]")
    open_message(bob, message_id)
    assert bob.locator("[data-testid=access-notice]").count() == 0, "told once, where the first message opened"

    carol = person(browser, server, CAROL)
    open_message(carol, message_id)
    carol_log = open_log(carol)
    assert CAROL in carol_log and BOB not in carol_log

    open_message(bob, message_id)
    bob_log = open_log(bob)
    assert bob.get_attribute("[data-testid=access-role]", "data-role") == "recipient"
    addresses = set(bob.eval_on_selector_all("[data-testid=access-log] [data-testid=access-event][data-address]",
                                             "els => els.map(e => e.dataset.address)"))
    assert addresses == {BOB}
    assert CAROL not in bob_log and "on this device" in bob_log
    bob.eval_on_selector("[data-testid=access-log]", "e => e.scrollIntoView()")
    shot(bob, tmp_path, "access-log-light")
    bob.goto("/settings")
    bob.click("[data-testid=access-log-link]")
    bob.wait_for_selector(f"[data-testid=access-messages-item][data-id='{message_id}'] [data-testid=access-event]")
    everything = bob.inner_text("[data-testid=access-log-screen]")
    assert "Board minutes, December" in everything and CAROL not in everything and BOB in everything

    alice = person(browser, server, ALICE)
    alice.goto("/settings")
    alice.click("[data-testid=sent-link]")
    item = f"[data-testid=sent-messages-item][data-id='{message_id}']"
    alice.wait_for_selector(item)
    opens = dict(alice.eval_on_selector_all(f"{item} [data-testid=reader]",
                                            "els => els.map(e => [e.dataset.address, Number(e.dataset.opens)])"))
    assert opens[BOB] >= 2 and opens[CAROL] >= 1, opens
    shot(alice, tmp_path, "sent-light")

    alice.once("dialog", lambda dialog: dialog.dismiss())
    alice.click(f"{item} [data-testid=revoke]")
    alice.wait_for_timeout(300)
    assert alice.locator(f"{item} [data-testid=access-state]").count() == 0, "saying no to the question keeps it"
    questions: list[str] = []

    def accept(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept()

    alice.once("dialog", accept)
    alice.click(f"{item} [data-testid=revoke]")
    alice.wait_for_selector(f"{item} [data-testid=access-state]")
    assert "Board minutes, December" in questions[0]

    bob.goto(f"/m/{message_id}")
    bob.wait_for_selector("[data-testid=error-screen][data-code='policy.revoked']")
    for page in (alice, bob, carol):
        page.context.close()


def test_the_sender_view_in_the_dark(browser: Any, server: LiveServer, tmp_path: Path) -> None:
    message_id = seal_for_two(server, tmp_path, "Offsite agenda")
    bob = person(browser, server, BOB, "dark")
    open_message(bob, message_id)
    open_log(bob)
    bob.eval_on_selector("[data-testid=access-log]", "e => e.scrollIntoView()")
    shot(bob, tmp_path, "access-log-dark")
    alice = person(browser, server, ALICE, "dark")
    alice.goto("/sent")
    alice.wait_for_selector(f"[data-testid=sent-messages-item][data-id='{message_id}']")
    shot(alice, tmp_path, "sent-dark")
    for page in (alice, bob):
        page.context.close()
