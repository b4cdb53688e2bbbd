"""The README's claims that a number or a rule in the code can contradict, checked against the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from support.mailseal_app import running_app, simple_mail

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
TOTAL = re.compile(r"^total \(\d+ files\)\s+[\d,]+ B\s+([\d,]+) B gzip$", re.MULTILINE)


def test_the_shell_size_is_the_one_the_script_prints() -> None:
    claimed = re.search(r"The app shell is about (\d+) KB gzip", README)
    assert claimed, "the README no longer states the shell size"
    output = subprocess.run([sys.executable, str(ROOT / "scripts" / "shell_size.py")], capture_output=True,
                            text=True, check=True).stdout
    measured = TOTAL.search(output)
    assert measured, output
    total = int(measured[1].replace(",", ""))
    assert abs(int(claimed[1]) * 1000 - total) <= 2000, f"README: about {claimed[1]} KB; the script: {total:,} B"


def attachment_row() -> str:
    [row] = [line for line in README.splitlines() if line.startswith("| `GET /api/messages/{id}/attachments/")]
    return row


async def test_which_attachments_open_inline_is_what_the_readme_says(tmp_path: Path) -> None:
    """Inline: types a browser shows safely, under any template; under Do-Not-Forward, every type."""
    row = attachment_row()
    assert "images, PDF, plain text, audio, video" in row and "under Do-Not-Forward, for every type" in row
    assert "inline only for Do-Not-Forward" not in row
    async with running_app(tmp_path) as app:
        await app.sign_in("bob@gmail.com")
        for template, name, content_type, inline in [
            ("encrypt-only", "notes.txt", "text/plain", True),
            ("encrypt-only", "photo.png", "image/png", True),
            ("encrypt-only", "files.zip", "application/zip", False),
            ("do-not-forward", "files.zip", "application/zip", True),
        ]:
            sealed = await app.seal(simple_mail(attachment=(name, content_type, b"PK\x03\x04 data")), template=template)
            [view] = (await app.http.get(f"/api/messages/{sealed.message_id}")).json()["attachments"]
            assert view["inline"] is inline, (template, name)
            download = await app.http.get(f"/api/messages/{sealed.message_id}/attachments/{view['index']}")
            disposition = download.headers["content-disposition"]
            assert disposition.startswith("inline;" if inline else "attachment;"), (template, name, disposition)
