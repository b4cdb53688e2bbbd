"""A sealed copy never shows a Bcc recipient to anyone else (RFC 5322 section 3.6.3).

Through the relay and through `mailseal protect`: each copy is opened as its recipient with
`mailseal open --as` (the key service's policy decision and audited unwrap) and must be the original
minus its Bcc fields, byte for byte; the cut is checked on folded fields, every line end and the body.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mailseal import cli
from mailseal.mail import find_envelopes, without_bcc, without_bcc_stream
from mailseal.mail.header_fields import HEADER_WINDOW, header_section
from support.mail_listeners import SEAL_EVERYTHING, mail_stack, plain_mail, smtp_send

BOB, CAROL, DAVE, ERIN = "bob@partner.example", "carol@partner.example", "dave@partner.example", "erin@partner.example"
FOLDED_BCC = f"Bcc: Dave <{DAVE}>,\r\n\t{ERIN}\r\n".encode()
BODY = b"Minutes attached.\r\nBcc: body-line@example.org\r\n\r\nBcc: another@example.org\r\n"


def header_of(message: bytes) -> bytes:
    return message[: header_section(message).end]


def open_as(data: Path, page: bytes, address: str, folder: Path) -> bytes:
    """`mailseal open --as address` on a copy; the opened bytes."""
    sealed = folder / f"{address}.html"
    sealed.write_bytes(page)
    out = folder / f"{address}.eml"
    assert cli.main(["--data", str(data), "open", "--as", address, str(sealed), "-o", str(out)]) == 0
    return out.read_bytes()


async def test_relayed_copies_show_no_bcc_to_anyone(data_dir: Path, tmp_path: Path) -> None:
    head, _, _ = plain_mail(to=BOB, cc=CAROL).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    # The folded Bcc between To/Cc and Subject, a second (lower-case) one at the end of the header.
    original = (b"\r\n".join(lines[:3]) + b"\r\n" + FOLDED_BCC + b"\r\n".join(lines[3:]) + b"\r\n"
                + b"bcc: " + DAVE.encode() + b"\r\n\r\n" + BODY)
    expected = original.replace(FOLDED_BCC, b"").replace(b"bcc: " + DAVE.encode() + b"\r\n", b"")
    async with mail_stack(data_dir, rules=SEAL_EVERYTHING) as stack:
        sent = await smtp_send(stack.relay_port, original, recipients=[BOB, CAROL, DAVE, ERIN])
        assert sent.accepted, sent
        copies = {mail.recipients[0]: find_envelopes(mail.message)[0] for mail in stack.mails()}
        assert sorted(copies) == sorted([BOB, CAROL, DAVE, ERIN])
        opened = {}
        for address, page in copies.items():
            opened[address] = await asyncio.to_thread(open_as, data_dir, page, address, tmp_path)
    assert header_of(opened[BOB]) == header_of(expected)
    for visible in (BOB, CAROL):
        assert opened[visible] == expected
        assert DAVE.encode() not in opened[visible] and ERIN.encode() not in opened[visible]
    for hidden, other in ((DAVE, ERIN), (ERIN, DAVE)):
        assert opened[hidden] == expected  # at most its own address: here, no Bcc field at all
        assert other.encode() not in opened[hidden]
    assert opened[BOB].endswith(BODY)  # Bcc-looking lines in the body stay


def test_cli_protect_seals_without_the_bcc(tmp_path: Path) -> None:
    data = tmp_path / "data"
    original = (b"From: alice@example.org\nTo: " + BOB.encode() + b"\nBCC :\n " + DAVE.encode()
                + b"\nSubject: plans\n\nBcc: stays@example.org\n")
    source = tmp_path / "in.eml"
    source.write_bytes(original)
    page = tmp_path / "message.html"
    subprocess.run(
        [sys.executable, "-m", "mailseal", "--data", str(data), "protect", str(source), "--from", "alice@example.org",
         "--to", BOB, "--to", DAVE, "-o", str(page)],
        capture_output=True, check=True,
    )
    for address in (BOB, DAVE):
        opened = open_as(data, page.read_bytes(), address, tmp_path)
        assert opened == (b"From: alice@example.org\nTo: " + BOB.encode() + b"\nSubject: plans\n\n"
                          b"Bcc: stays@example.org\n")


def test_only_whole_bcc_fields_of_the_header_section_are_cut() -> None:
    assert without_bcc(b"To: a@x\r\nBcc: b@x\r\n\tc@x\r\n  d@x\r\nSubject: s\r\n\r\nBcc: e@x\r\n") == (
        b"To: a@x\r\nSubject: s\r\n\r\nBcc: e@x\r\n"
    )
    assert without_bcc(b"Bcc: b@x\rResent-Bcc: c@x\rX-Bcc: kept\rBccx: kept\r\rbody") == (
        b"X-Bcc: kept\rBccx: kept\r\rbody"
    )
    # The body may start without an empty line; a Bcc-looking line after that is body.
    assert without_bcc(b"To: a@x\nnot a header line\nBcc: b@x\n") == b"To: a@x\nnot a header line\nBcc: b@x\n"
    # A header section with no body and no last line end.
    assert without_bcc(b"To: a@x\r\nBcc: b@x,\r\n c@x") == b"To: a@x\r\n"
    # An mbox "From " line, a field with an empty value, and one whose name is Bcc in any case.
    assert without_bcc(b"From a@x Fri Nov 27\nbCc:\nTo: a@x\n\n") == b"From a@x Fri Nov 27\nTo: a@x\n\n"
    unchanged = b"To: a@x\r\nSubject: Bcc: none\r\n\r\nbody"
    assert without_bcc(unchanged) is unchanged


def test_the_stream_is_copied_only_when_it_has_a_bcc() -> None:
    plain = io.BytesIO(b"prefix" + b"To: a@x\r\n\r\n" + b"x" * 100)
    plain.seek(6)
    assert without_bcc_stream(plain) is plain and plain.tell() == 6
    # A header section longer than the window read first, with the Bcc after it.
    filler = b"".join(b"X-Filler-%d: %s\r\n" % (number, b"v" * 200) for number in range(HEADER_WINDOW // 200))
    long = filler + b"Bcc: late@x\r\n\r\nbody"
    assert without_bcc_stream(io.BytesIO(long)).read() == filler + b"\r\nbody"


_NAMES = st.sampled_from(["To", "Cc", "Subject", "X-Bcc", "Bcc", "BCC", "bcc ", "Resent-Bcc", "Received"])
_VALUES = st.lists(st.text(alphabet="abc@.,<> ", max_size=12), min_size=1, max_size=3)
_BODY_LINES = st.lists(st.sampled_from(["", "Bcc: b@x", "text", " folded-looking"]), max_size=4)


@given(st.lists(st.tuples(_NAMES, _VALUES), max_size=8), _BODY_LINES, st.sampled_from(["\r\n", "\n", "\r"]))
def test_without_bcc_keeps_every_other_byte(fields: list[tuple[str, list[str]]], body: list[str], eol: str) -> None:
    def field(name: str, values: list[str]) -> str:
        return f"{name}: " + f"{eol}\t".join(values) + eol

    kept = "".join(field(name, values) for name, values in fields
                   if name.strip().lower() not in ("bcc", "resent-bcc"))
    everything = "".join(field(name, values) for name, values in fields)
    tail = eol + eol.join(body)
    assert without_bcc((everything + tail).encode()) == (kept + tail).encode()
