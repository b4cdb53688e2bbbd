"""The streaming MIME scanner that builds the index: it agrees with the stdlib `email` package on
every corpus message, holds its bounds, and never fails on malformed mail."""

from __future__ import annotations

import email.policy
import io
import random
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesParser
from pathlib import Path

from mailseal.format import MessageIndex
from mailseal.format.index import MAX_PARTS, SUMMARY_FIELD_CHARS
from mailseal.format.mime_lines import LineReader, LineStarts
from mailseal.format.mime_scan import MAX_DEPTH, scan_message
from support.corpora import corpus_eml_files

Leaf = tuple[str, bytes | None, int]


def email_leaves(message: Message, depth: int = 0) -> Iterator[Leaf]:
    """The leaves as `email` sees them: (content type, raw body or None if not kept raw, depth)."""
    content_type = message.get_content_type()
    if message.is_multipart() and content_type.startswith("multipart/"):
        for part in message.get_payload():
            assert isinstance(part, Message)
            yield from email_leaves(part, depth + 1)
        return
    if content_type in ("message/rfc822", "message/global") and message.is_multipart():
        encoding = str(message.get("content-transfer-encoding", "")).strip().lower()
        if encoding in ("", "7bit", "8bit", "binary"):
            inner = message.get_payload(0)
            assert isinstance(inner, Message)
            yield from email_leaves(inner, depth + 1)
            return
    payload = message._payload  # the raw, still transfer-encoded body
    raw = payload.encode("ascii", "surrogateescape") if isinstance(payload, str) else None
    yield content_type, raw, depth


def scan(data: bytes) -> MessageIndex:
    index, size = scan_message(io.BytesIO(data))
    assert size == len(data)
    return index


def assert_well_formed(index: MessageIndex, size: int) -> None:
    assert 1 <= len(index.parts) <= MAX_PARTS
    previous_end = 0
    for number, part in enumerate(index.parts, start=1):
        assert part.number == number
        assert previous_end <= part.start <= part.end <= size
        assert 0 <= part.depth <= MAX_DEPTH
        previous_end = part.end


def assert_agrees_with_email(data: bytes) -> None:
    index = scan(data)
    assert_well_formed(index, len(data))
    expected = list(email_leaves(BytesParser(policy=email.policy.default).parsebytes(data)))
    got = [(p.content_type, data[p.start : p.end], p.depth) for p in index.parts]
    assert len(got) == len(expected)
    for (e_type, e_body, e_depth), (g_type, g_body, g_depth) in zip(expected, got, strict=True):
        assert (g_type, g_depth) == (e_type, e_depth)
        if e_body is not None:
            assert g_body == e_body


class Trickle(io.RawIOBase):
    """A source that returns a few bytes per read, so every line and pattern crosses block edges."""

    def __init__(self, data: bytes, seed: int) -> None:
        self._data = io.BytesIO(data)
        self._rng = random.Random(seed)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(self._rng.randint(1, 7))


def test_every_corpus_message_matches_email(corpora: Path) -> None:
    files = corpus_eml_files()
    assert len(files) > 150
    for path in files:
        data = path.read_bytes()
        try:
            assert_agrees_with_email(data)
        except AssertionError as exc:
            raise AssertionError(f"{path.relative_to(corpora)}: {exc}") from exc


def test_block_edges_do_not_change_the_index(corpora: Path) -> None:
    for seed, path in enumerate(corpus_eml_files()):
        data = path.read_bytes()
        if len(data) > 20_000:
            continue
        trickled, size = scan_message(Trickle(data, seed))
        assert size == len(data)
        assert trickled == scan(data), path.name


def test_malformed_flanker_messages(corpora: Path) -> None:
    root = corpora / "eml" / "flanker"
    data = (root / "missing-boundaries.eml").read_bytes()
    (part,) = scan(data).parts
    assert (part.content_type, part.end) == ("text/plain", len(data))

    data = (root / "false-multipart.eml").read_bytes()
    index = scan(data)
    (part,) = index.parts  # a multipart whose delimiter never comes: one leaf, its whole body
    assert (part.content_type, part.end) == ("multipart/alternative", len(data))
    assert index.subject == "Broken MIME"

    data = (root / "long-header.eml").read_bytes()
    index = scan(data)
    assert len(index.subject) == SUMMARY_FIELD_CHARS
    assert index.subject.startswith("Die heiße Zypernsonne quälte Max")
    assert index.from_ == "bob@example.com"
    (part,) = index.parts
    assert part.transfer_encoding == "quoted-printable"  # found after 200 KB of Subject


def test_nested_message_is_indexed(corpora: Path) -> None:
    data = (corpora / "eml/mikel-mail/attachment_emails/attachment_message_rfc822.eml").read_bytes()
    parts = scan(data).parts
    assert [(p.content_type, p.depth) for p in parts] == [
        ("text/plain", 1),
        ("text/plain", 3),
        ("application/pdf", 3),
    ]
    assert parts[2].filename == "broken.pdf"
    assert data[parts[2].start : parts[2].end].startswith(b"JVBERi0")


def test_summary_is_decoded_and_unfolded() -> None:
    data = (
        b"From: =?utf-8?q?J=C3=B6rg?= <j@example.org>\r\n"
        b"To: a@example.org,\r\n b@example.org\r\n"
        b"Subject: =?iso-8859-1?q?caf=E9?= and\r\n\tmore\r\n"
        b"Date: not a date at all\r\n"
        b"Message-ID: <1@example.org>\r\n"
        b"In-Reply-To: <0@example.org>\r\n"
        b"References: <a@example.org>\r\n <0@example.org>\r\n"
        b"X-Raw: \xff\xfe\r\n"
        b"\r\n"
        b"body"
    )
    index = scan(data)
    assert index.from_ == "Jörg <j@example.org>"
    assert index.to == "a@example.org, b@example.org"
    assert index.subject == "café and\tmore"
    assert index.date == "not a date at all"
    assert index.message_id_header == "<1@example.org>"
    assert index.in_reply_to == "<0@example.org>"
    assert index.references == "<a@example.org> <0@example.org>"
    assert index.cc == ""
    (part,) = index.parts
    assert data[part.start : part.end] == b"body"


def test_eight_bit_headers_become_valid_text() -> None:
    data = 'Subject: Grüße\r\nContent-Type: text/plain; name="ä.txt"\r\n\r\nx'.encode()
    data += b"\r\n"
    index = scan(b"Subject: \xff\xfe broken\r\n\r\nx")
    assert index.subject == "\ufffd\ufffd broken"
    index = scan(data)
    assert index.subject == "Grüße"
    assert index.parts[0].filename == "ä.txt"


def test_part_fields() -> None:
    data = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\n"
        b'Content-Type: TEXT/HTML; charset="UTF-8"\r\n'
        b"Content-Transfer-Encoding: Quoted-Printable\r\n"
        b"Content-ID: <logo@x>\r\n"
        b"Content-Disposition: inline\r\n\r\n"
        b"<p>hi</p>\r\n"
        b"--b\r\n"
        b"Content-Type: application/octet-stream; name*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n"
        b"Content-Disposition: attachment\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"AAAA\r\n"
        b"--b--\r\n"
    )
    html, attachment = scan(data).parts
    assert (html.content_type, html.charset, html.transfer_encoding) == ("text/html", "utf-8", "quoted-printable")
    assert (html.content_id, html.disposition, html.filename) == ("<logo@x>", "inline", "")
    assert (attachment.filename, attachment.disposition) == ("résumé.pdf", "attachment")
    assert data[attachment.start : attachment.end] == b"AAAA"


def test_digest_parts_default_to_messages() -> None:
    data = (
        b'Content-Type: multipart/digest; boundary="d"\n\n'
        b"--d\n\nSubject: one\n\nfirst\n"
        b"--d\nContent-Type: text/plain\n\nsecond\n"
        b"--d--\n"
    )
    assert_agrees_with_email(data)
    first, second = scan(data).parts
    assert (first.content_type, first.depth) == ("text/plain", 2)  # inside the message/rfc822 default
    assert (second.content_type, second.depth) == ("text/plain", 1)


def test_encoded_nested_message_is_a_leaf() -> None:
    data = (
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
        b"U3ViamVjdDogeAoKeQo=\n"
        b"--b--\n"
    )
    (part,) = scan(data).parts
    assert (part.content_type, part.transfer_encoding) == ("message/rfc822", "base64")
    assert data[part.start : part.end] == b"U3ViamVjdDogeAoKeQo="


def test_line_ends_lf_crlf_and_lone_cr() -> None:
    for eol in (b"\n", b"\r\n", b"\r"):
        data = eol.join(
            [
                b'Content-Type: multipart/mixed; boundary="b"',
                b"",
                b"--b",
                b"",
                b"one",
                b"--b",
                b"Content-Type: text/html",
                b"",
                b"two" + eol,
                b"--b--",
                b"",
            ]
        )
        assert_agrees_with_email(data)
        first, second = scan(data).parts
        assert data[first.start : first.end] == b"one"
        assert data[second.start : second.end] == b"two" + eol


def test_depth_is_bounded() -> None:
    depth = 30
    head = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth))
    tail = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)))
    data = head + b"Content-Type: text/plain\n\ndeep" + tail
    index = scan(data)
    assert_well_formed(index, len(data))
    (part,) = index.parts
    assert (part.content_type, part.depth) == ("multipart/mixed", MAX_DEPTH)
    assert b"deep" in data[part.start : part.end]


def test_parts_are_bounded_and_the_rest_is_one_leaf() -> None:
    count = MAX_PARTS + 500
    data = b'Content-Type: multipart/mixed; boundary="b"\n\n'
    data += b"".join(b"--b\nContent-Type: text/plain\n\npart %d\n" % i for i in range(count)) + b"--b--\n"
    index = scan(data)
    assert_well_formed(index, len(data))
    assert len(index.parts) == MAX_PARTS
    assert data[index.parts[-2].start : index.parts[-2].end] == b"part %d" % (MAX_PARTS - 2)
    rest = index.parts[-1]
    assert rest.content_type == "application/octet-stream"
    assert data[rest.start : rest.end].startswith(b"part %d\n--b\n" % (MAX_PARTS - 1))
    assert rest.end == len(data)
    exactly = b'Content-Type: multipart/mixed; boundary="b"\n\n'
    exactly += b"".join(b"--b\n\np%d\n" % i for i in range(MAX_PARTS)) + b"--b--\n"
    assert scan(exactly).parts[-1].content_type == "text/plain"


def test_header_block_is_bounded() -> None:
    junk = b"".join(b"X-Junk-%d: %s\n" % (i, b"j" * 90) for i in range(1000))  # ~100 KB
    late = junk + b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nx\n--b--\n'
    (part,) = scan(late).parts  # the Content-Type comes after 64 KiB: not seen
    assert part.content_type == "text/plain"
    early = b'Content-Type: multipart/mixed; boundary="b"\n' + junk + b"\n--b\n\nx\n--b--\n"
    (part,) = scan(early).parts
    assert early[part.start : part.end] == b"x"


def test_one_huge_field_and_huge_lines() -> None:
    subject = b"Subject: " + b"word " * 400_000 + b"\n"
    data = subject + b"Content-Type: text/html\n\n" + b"<p>" + b"x" * 3_000_000 + b"\n--not-a-boundary\n"
    index = scan(data)
    assert len(index.subject) == SUMMARY_FIELD_CHARS
    (part,) = index.parts
    assert part.content_type == "text/html"
    assert part.end == len(data)


def test_arbitrary_bytes_never_break_the_scanner() -> None:
    rng = random.Random(5)
    pieces = [b"--b", b"--b--", b"\n", b"\r\n", b"\r", b"Content-Type: multipart/mixed; boundary=b", b": ", b" "]
    pieces += [b"Content-Type: message/rfc822", b"\xff", b"=?utf-8?q?=FF?=", b"From x", b"--"]
    for _ in range(400):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        assert_well_formed(scan(data), len(data))


def test_line_reader_keeps_offsets_across_blocks() -> None:
    data = b"ab\r\ncd\ref\n\r\n" + b"x" * 50 + b"\r"
    for block in (1, 2, 3, 64):
        reader = LineReader(io.BytesIO(data), block_size=block)
        lines = []
        while (line := reader.read_line(10)) is not None:
            lines.append(line)
        assert [(line.start, line.content, line.eol, line.cut) for line in lines] == [
            (0, b"ab", b"\r\n", False),
            (4, b"cd", b"\r", False),
            (7, b"ef", b"\n", False),
            (10, b"", b"\r\n", False),
            (12, b"x" * 10, b"\r", True),
        ]
        assert reader.offset == len(data)
        assert reader.final_eol_len() == 1


def test_line_reader_finds_lines_by_their_start_across_blocks() -> None:
    data = b"a\r\n--x\nb-- \n\r--y\r\n\r\n--z\n--w--x"
    for block in (1, 2, 3, 5, 64):
        reader = LineReader(io.BytesIO(data), block_size=block)
        found = []
        at_line_start = True
        while reader.skip_to_line_starting(LineStarts.of((b"--x", b"--z", b"--y")), at_line_start=at_line_start):
            found.append((reader.offset, reader.last_eol_len))
            reader.step_into_line()
            at_line_start = False
        assert found == [(3, 2), (13, 1), (20, 2)]
        reader = LineReader(io.BytesIO(b"--x\n--x"), block_size=block)
        assert reader.skip_to_line_starting(LineStarts.of((b"--x",)))
        assert reader.offset == 0


def test_line_reader_passes_prefixes_inside_lines() -> None:
    # The prefix is searched alone and the byte before it checked: hits inside a line, at a block edge
    # or at the very start must be told apart from hits after LF, CR and CRLF.
    data = b"--xa--x--x\r\n--x--x\r--y\n--x\r\r\n--y--x\n\n--xx--y" + b"q--x" * 40 + b"\r--x\n-"
    prefixes = (b"--x", b"--y")
    expected = [
        (i, 2 if data[i - 1] == 0x0A and data[i - 2] == 0x0D else 1)
        for i in range(1, len(data))
        if data[i - 1] in b"\r\n" and data.startswith(prefixes, i)
    ]
    for block in (1, 2, 3, 4, 5, 7, 64):
        reader = LineReader(io.BytesIO(data), block_size=block)
        found = []
        while reader.skip_to_line_starting(LineStarts.of(prefixes), at_line_start=False):
            found.append((reader.offset, reader.last_eol_len))
            reader.step_into_line()
        assert found == expected
        assert reader.offset == len(data)


def test_lines_that_only_look_like_delimiters() -> None:
    noise = b"--bx\n--b-\n--b --\n--\n--c\n" * 2000
    data = b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\n' + noise + b"--b \n--b\t\n\nlast\n--b--\n"
    assert_agrees_with_email(data)
    first, second = scan(data).parts
    assert data[first.start : first.end] == noise[:-1]
    assert data[second.start : second.end] == b"last"


def test_long_header_runs_are_stepped_over() -> None:
    fields = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 40) for i in range(5000))  # past 64 KiB
    continuation = b"Subject: start\r\n" + b" more\r\n" * 5000  # past 16 KiB for one field
    data = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\n" + continuation + b"Content-Type: text/html\r\n\r\none\r\n"
        b"--b\r\n" + fields + b"From the body\r\n--b--\r\n"
    )
    assert_agrees_with_email(data)
    one, two = scan(data).parts
    assert one.content_type == "text/html"
    assert data[two.start : two.end] == b"From the body"
