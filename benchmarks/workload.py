"""The messages the benchmarks seal and send, written deterministically so runs compare."""

from __future__ import annotations

import base64
import email.message
import email.policy
import hashlib
from pathlib import Path

MiB = 1024 * 1024
KiB = 1024
# A boundary as Gmail writes them: real boundaries are long, and the MIME scan's speed depends on it.
BOUNDARY = b"000000000000b4f1c2d3e4f5a6b7c8"

_WORDS = (
    "quarterly figures review budget forecast team update project falcon milestone schedule risk "
    "customer contract renewal invoice delivery supplier audit compliance meeting agenda minutes "
    "summary proposal draft approval signature deadline resources hiring onboarding training"
).split()


def write_attachment_message(path: Path, size: int) -> int:
    """A multipart mail whose one attachment is about `size` bytes of base64; returns the file's size."""
    # Pseudo-random but reproducible bytes: SHA-256 in counter mode (incompressible, like real attachments).
    raw = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(57 * KiB // 32 + 1))[: 57 * KiB]
    block = base64.encodebytes(raw).replace(b"\n", b"\r\n")
    head = (
        b"From: alice@example.org\r\nTo: bob@gmail.com\r\nSubject: Big attachment\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="' + BOUNDARY + b'"\r\n\r\n'
        b"--" + BOUNDARY + b"\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
        b"--" + BOUNDARY + b"\r\nContent-Type: application/octet-stream; name=big.bin\r\n"
        b"Content-Disposition: attachment; filename=big.bin\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
    )
    with path.open("wb") as out:
        out.write(head)
        for _ in range(-(-size // len(block))):
            out.write(block)
        out.write(b"--" + BOUNDARY + b"--\r\n")
    return path.stat().st_size


def _sentence(i: int, length: int = 14) -> str:
    return " ".join(_WORDS[(i * 7 + k * 3) % len(_WORDS)] for k in range(length)).capitalize() + "."


def newsletter_html(size: int) -> str:
    """An HTML body of about `size` bytes that looks like real mail: tables, inline styles, links, images."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        "body{font-family:Arial,sans-serif;color:#222} .box{border:1px solid #ddd;padding:12px;margin:8px 0}"
        "a{color:#0645ad} td{padding:4px 8px;border-bottom:1px solid #eee}</style></head><body>",
        "<table width='100%' cellpadding='0' cellspacing='0' style='max-width:640px;margin:auto'>",
    ]
    i = 0
    while sum(len(p) for p in parts) < size - 200:
        parts.append(
            f"<tr><td><div class='box'><h2 style='font-size:18px;margin:0 0 6px'>Section {i}: "
            f"{_sentence(i, 4)}</h2><p style='line-height:1.5'>{_sentence(i)} <b>{_sentence(i + 1, 5)}</b> "
            f"{_sentence(i + 2)} <a href='https://example.org/news/{i}?utm_source=mail'>Read more</a></p>"
            f"<img src='https://cdn.example.org/img/{i}.png' width='120' height='60' alt='chart {i}'>"
            f"<table><tr><td>Item {i}</td><td style='text-align:right'>{i * 37 % 1000}.00 EUR</td></tr>"
            f"<tr><td>{_sentence(i + 3, 3)}</td><td style='color:#080'>+{i % 9}%</td></tr></table></div></td></tr>"
        )
        i += 1
    parts.append("</table><p style='font-size:11px;color:#888'>You receive this because you are on the team.</p>"
                 "</body></html>")
    return "".join(parts)


def html_mail(html_size: int, *, sender: str = "alice@example.org", to: str = "bob@gmail.com") -> bytes:
    """A text + HTML alternative mail with an HTML body of about `html_size` bytes."""
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Alice Example <{sender}>"
    message["To"] = to
    message["Subject"] = "Team newsletter"
    message["Date"] = "Fri, 27 Nov 2026 09:00:00 +0000"
    message["Message-ID"] = "<newsletter-1@example.org>"
    message.set_content("The newsletter is in HTML.\n")
    message.add_alternative(newsletter_html(html_size), subtype="html")
    return message.as_bytes()


def short_mail(i: int, body_size: int, *, sender: str = "alice@example.org", to: str = "bob@gmail.com") -> bytes:
    """A plain mail (number `i`) with a body of about `body_size` bytes, sealed for the forwarding run."""
    lines: list[str] = []
    while sum(len(line) + 2 for line in lines) < body_size:
        lines.append(_sentence(i + len(lines)))
    head = (f"From: {sender}\r\nTo: {to}\r\nSubject: Forwarded message {i}\r\n"
            f"Date: Fri, 27 Nov 2026 09:00:00 +0000\r\nMessage-ID: <fwd-{i}@example.org>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
    return (head + "\r\n".join(lines) + "\r\n").encode("utf-8")


def forwarded_mail(message_html: bytes, *, sender: str, to: str) -> bytes:
    """What a mail client's forward makes: a short note with `message.html` attached again."""
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Fwd: Protected message"
    message.set_content("---------- Forwarded message ---------\nPlease keep this in Mailseal.\n")
    message.add_attachment(message_html, maintype="text", subtype="html", filename="message.html")
    return message.as_bytes()
