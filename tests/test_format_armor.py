"""Armor: message.html explains itself, runs nothing, escapes what it inserts, and gives the envelope back."""

from __future__ import annotations

import io
import json
import os
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mailseal.errors import DamagedEnvelope, InputError, NoEnvelope
from mailseal.format import BEGIN, END, MAGIC, Policy, armor, dearmor, open_envelope, seal, sniff

KEY = bytes(range(32))
VIEW = "https://mail.example.org/m/ucq2fi5euwtkpkfjvkv2zlnov4"


def envelope_of(message: bytes) -> bytes:
    out = io.BytesIO()
    seal(
        io.BytesIO(message),
        out,
        content_key=KEY,
        message_id=bytes(range(16)),
        issuer="example.org",
        sender="alice@example.org",
        recipients=["bob@example.net"],
        policy=Policy("encrypt-only", ("view",), None),
        key_id="k1",
        created=1767225600,
    )
    return out.getvalue()


def armored(envelope: bytes, **overrides: str | None) -> bytes:
    out = io.BytesIO()
    kwargs: dict[str, str | None] = {
        "view_url": VIEW,
        "org_name": "Example Org",
        "sender": "alice@example.org",
        "subject_hint": None,
    }
    kwargs.update(overrides)
    armor(io.BytesIO(envelope), out, **kwargs)
    return out.getvalue()


def dearmored(page: bytes) -> bytes:
    out = io.BytesIO()
    dearmor(io.BytesIO(page), out)
    return out.getvalue()


class Page(HTMLParser):
    """What a browser would find in the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @classmethod
    def parse(cls, page: bytes) -> Page:
        parser = cls()
        parser.feed(page.decode("utf-8"))
        parser.close()
        return parser


class Trickle(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self._rng = random.Random(len(data))

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(self._rng.randint(1, 50))


@pytest.mark.parametrize("size", [0, 1, 56, 57, 58, 57 * 1024, 57 * 1024 + 1, 300_000])
def test_round_trip(size: int) -> None:
    envelope = envelope_of(os.urandom(size))
    page = armored(envelope)
    assert dearmored(page) == envelope
    assert dearmored(page.replace(b"\n", b"\r\n")) == envelope  # a mail client's line ends
    out = io.BytesIO()
    dearmor(Trickle(page), out)
    assert out.getvalue() == envelope


def test_base64_lines_are_76_characters() -> None:
    page = armored(envelope_of(os.urandom(5000)))
    body = page.split(BEGIN + b"\n", 1)[1].split(END, 1)[0]
    lines = body.splitlines()
    assert all(len(line) == 76 for line in lines[:-1])
    assert 0 < len(lines[-1]) <= 76


def test_page_is_self_contained_and_explains_itself() -> None:
    page = armored(envelope_of(b"hi"), subject_hint="Quarterly report")
    text = page.decode("utf-8")
    parsed = Page.parse(page)
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"script", "iframe", "object", "embed", "link", "img", "form", "base", "frame"}
    page_text = text.split(BEGIN.decode(), 1)[0]  # the base64 may spell anything
    assert not re.search(r"\son[a-z]+\s*=", page_text, re.IGNORECASE)  # no event handlers
    assert not re.search(r"(?:\ssrc\s*=|@import|url\()", page_text, re.IGNORECASE)
    html_tag = next(attrs for tag, attrs in parsed.tags if tag == "html")
    assert html_tag["lang"] == "en"
    assert text.startswith('<!DOCTYPE html>\n<html data-mailseal-armor="v1" lang="en" dir="ltr">')
    metas = [attrs for tag, attrs in parsed.tags if tag == "meta"]
    assert any(m.get("name") == "viewport" and "width=device-width" in (m.get("content") or "") for m in metas)
    csp = next(m["content"] for m in metas if m.get("http-equiv") == "Content-Security-Policy")
    assert csp is not None and "default-src 'none'" in csp
    links = [attrs for tag, attrs in parsed.tags if tag == "a"]
    assert [link["href"] for link in links] == [VIEW]
    pre = next(attrs for tag, attrs in parsed.tags if tag == "pre")
    assert pre == {"hidden": None, "id": "mailseal-envelope"}
    words = " ".join(parsed.text)
    for expected in ("Read the message", "alice@example.org", "Example Org", "Quarterly report", "share", "forward"):
        assert expected in words
    assert "http://" not in text.replace(VIEW, "") and "https://" not in text.replace(VIEW, "")


def test_inserted_strings_are_escaped(corpora: Path) -> None:
    naughty = json.loads((corpora / "strings" / "blns.json").read_text(encoding="utf-8"))
    naughty = [s for s in naughty if any(c in s for c in "<>&\"'")][:150]
    naughty.append('"><script>alert(1)</script>')
    for value in naughty:
        page = armored(
            envelope_of(b"x"),
            view_url=VIEW + "?q=" + value,
            org_name=value,
            sender=value,
            subject_hint=value,
        )
        parsed = Page.parse(page)
        assert not any(tag in ("script", "img", "iframe", "svg", "form") for tag, _ in parsed.tags), value
        assert sum(1 for tag, _ in parsed.tags if tag == "a") == 1
        href = next(attrs["href"] for tag, attrs in parsed.tags if tag == "a")
        assert href == VIEW + "?q=" + value
        assert value.strip() in " ".join(parsed.text) or not value.strip()


def test_view_url_must_be_http() -> None:
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil.example", ""):
        with pytest.raises(InputError):
            armored(envelope_of(b"x"), view_url=bad)


def test_sniff() -> None:
    envelope = envelope_of(b"x")
    page = armored(envelope)
    assert sniff(envelope[:1024]) == "binary"
    assert sniff(page[:1024]) == "armored"
    assert sniff(page[:64]) == "armored"
    assert sniff(b"\xef\xbb\xbf" + page[:1000]) == "armored"
    assert sniff(b"junk\n" + BEGIN + b"\nbWFp") == "armored"
    assert sniff(b"") is None
    assert sniff(b"<!DOCTYPE html><p>hello") is None
    assert sniff(MAGIC[:5]) is None


def test_dearmor_accepts_raw_binary() -> None:
    envelope = envelope_of(os.urandom(70_000))
    assert dearmored(envelope) == envelope


def test_dearmor_tolerates_whitespace_and_rewrapping() -> None:
    envelope = envelope_of(os.urandom(3000))
    page = armored(envelope)
    head, rest = page.split(BEGIN, 1)
    body, tail = rest.split(END, 1)
    flat = re.sub(rb"\s+", b"", body)
    rewrapped = b"\r\n".join(b"   " + flat[i : i + 64] + b"\t" for i in range(0, len(flat), 64))
    assert dearmored(head + BEGIN + b"\r\n" + rewrapped + b"\r\n" + END + tail) == envelope
    recovered = open_envelope(io.BytesIO(dearmored(page)), KEY)
    assert b"".join(recovered.iter_plaintext()) == b"".join(open_envelope(io.BytesIO(envelope), KEY).iter_plaintext())


def test_dearmor_refusals() -> None:
    envelope = envelope_of(b"hello")
    page = armored(envelope)
    head, rest = page.split(BEGIN + b"\n", 1)
    body, tail = rest.split(END, 1)
    with pytest.raises(NoEnvelope):
        dearmored(b"<html><body>Just a page</body></html>")
    with pytest.raises(NoEnvelope):
        dearmored(b"")
    cases = {
        "no END line": head + BEGIN + b"\n" + body,
        "a character outside base64": head + BEGIN + b"\n" + body[:10] + b"*" + body[10:] + END + tail,
        "a base64 character missing": head + BEGIN + b"\n" + body.strip()[:-1] + b"\n" + END + tail,
        "padding in the middle": head + BEGIN + b"\n" + b"bWE=" + body + END + tail,
        "data after the padding": head + BEGIN + b"\n" + body.strip() + b"QUFB\n" + END + tail,
        "not an envelope": head + BEGIN + b"\naGVsbG8gd29ybGQh\n" + END + tail,
        "empty": head + BEGIN + b"\n" + END + tail,
        "END line mangled": head + BEGIN + b"\n" + body + b"-----END MAILSEAL MESS" + b"AGX-----",
    }
    if b"=" not in body:
        del cases["data after the padding"]
    for name, page_variant in cases.items():
        with pytest.raises(DamagedEnvelope):
            dearmored(page_variant)
        assert name


def test_the_page_tells_each_platform_its_own_way_in() -> None:
    text = " ".join(armored(envelope_of(b"Subject: x\r\n\r\nbody\r\n")).decode().split())
    assert "iPhone or iPad with the Mailseal app: <strong>save</strong> this file (message.html) to Files" in text
    assert "Android with the Mailseal app: <strong>share</strong> this file to Mailseal" in text
