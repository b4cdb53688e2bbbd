"""Properties: open(seal(x)) == x, canonical header and index encodings, the scanner agrees with
`email` on generated MIME, and armor round trips."""

from __future__ import annotations

import io

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailseal.errors import DamagedEnvelope
from mailseal.format import MAGIC, Header, MessageIndex, Part, Policy, armor, dearmor, open_envelope, seal
from mailseal.format.header import MAX_TIMESTAMP, decode_header, encode_header
from mailseal.format.index import decode_index, encode_index
from mailseal.format.stream import CHUNK_SIZE
from test_format_mime import assert_agrees_with_email

KEY = bytes(range(32))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)
addresses = st.text(st.characters(codec="utf-8"), min_size=1, max_size=254)
timestamps = st.integers(min_value=0, max_value=MAX_TIMESTAMP)
policies = st.builds(
    Policy,
    template=st.text(st.characters(codec="utf-8"), min_size=1, max_size=64),
    rights=st.lists(st.text(st.characters(codec="utf-8"), min_size=1, max_size=32), max_size=32).map(tuple),
    expires_at=st.none() | timestamps,
)
headers = st.builds(
    Header,
    version=st.just(1),
    message_id=st.binary(min_size=16, max_size=16),
    issuer=st.text(st.characters(codec="utf-8"), min_size=1, max_size=253),
    sender=addresses,
    recipients=st.lists(addresses, min_size=1, max_size=20).map(tuple),
    created=timestamps,
    policy=policies,
    key_id=st.text(st.characters(codec="utf-8"), min_size=1, max_size=128),
    payload_size=st.integers(min_value=0, max_value=2**40),
    chunk_size=st.just(CHUNK_SIZE),
)


def seal_bytes(message: bytes, header: Header | None = None) -> bytes:
    out = io.BytesIO()
    seal(
        io.BytesIO(message),
        out,
        content_key=KEY,
        message_id=header.message_id if header else bytes(16),
        issuer=header.issuer if header else "example.org",
        sender=header.sender if header else "a@example.org",
        recipients=header.recipients if header else ("b@example.org",),
        policy=header.policy if header else Policy("t", (), None),
        key_id=header.key_id if header else "k",
        created=header.created if header else 0,
    )
    return out.getvalue()


@FAST
@given(st.binary(max_size=5000))
def test_open_seal_is_identity(message: bytes) -> None:
    opened = open_envelope(io.BytesIO(seal_bytes(message)), KEY)
    assert b"".join(opened.iter_plaintext()) == message
    for part in opened.index.parts:
        assert 0 <= part.start <= part.end <= len(message)


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=3 * CHUNK_SIZE), st.integers(min_value=0, max_value=255))
def test_open_seal_is_identity_across_chunks(size: int, fill: int) -> None:
    message = bytes([fill]) * size
    opened = open_envelope(io.BytesIO(seal_bytes(message)), KEY)
    assert b"".join(opened.iter_plaintext()) == message


@FAST
@given(headers, st.binary(max_size=300))
def test_header_fields_survive_sealing(header: Header, message: bytes) -> None:
    opened = open_envelope(io.BytesIO(seal_bytes(message, header)), KEY)
    assert opened.header == msgspec.structs.replace(header, payload_size=len(message))


@FAST
@given(headers)
def test_header_encoding_is_canonical(header: Header) -> None:
    data = encode_header(header)
    assert decode_header(data) == header
    assert encode_header(decode_header(data)) == data


@FAST
@given(headers, st.data())
def test_mutated_header_bytes_decode_canonically_or_not_at_all(header: Header, data: st.DataObject) -> None:
    encoded = bytearray(encode_header(header))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        at = data.draw(st.integers(min_value=0, max_value=len(encoded) - 1))
        encoded[at] = data.draw(st.integers(min_value=0, max_value=255))
    try:
        decoded = decode_header(bytes(encoded))
    except DamagedEnvelope:
        return
    assert encode_header(decoded) == bytes(encoded)


parts = st.lists(
    st.builds(
        Part,
        number=st.just(0),
        content_type=text,
        charset=text,
        filename=text,
        disposition=st.sampled_from(["", "inline", "attachment"]),
        content_id=text,
        transfer_encoding=text,
        start=st.just(0),
        end=st.integers(min_value=0, max_value=100),
        depth=st.integers(min_value=0, max_value=20),
    ),
    min_size=1,
    max_size=10,
)


@FAST
@given(parts, st.lists(text, min_size=8, max_size=8))
def test_index_encoding_is_canonical(raw_parts: list[Part], fields: list[str]) -> None:
    position = 0
    numbered = []
    for number, part in enumerate(raw_parts, start=1):
        numbered.append(msgspec.structs.replace(part, number=number, start=position, end=position + part.end))
        position += part.end
    index = MessageIndex(*fields, parts=tuple(numbered))
    data = encode_index(index)
    assert decode_index(data, position) == index
    assert encode_index(decode_index(data, position)) == data


line_pieces = st.sampled_from(
    [b"hello", b"", b"--", b"-- sig", b"--b", b"--b--", b"--c", b"x: y", b"=?utf-8?q?=C3=A9?=", b"a" * 80]
)


@st.composite
def mime(draw: st.DrawFn, depth: int = 0) -> bytes:
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    kind = draw(st.sampled_from(["leaf", "leaf", "multipart", "message"] if depth < 4 else ["leaf"]))
    headers: list[bytes] = []
    if kind == "multipart":
        boundary = draw(st.sampled_from([b"b", b"c", b"=_b", b"b2"]))
        subtype = draw(st.sampled_from([b"mixed", b"alternative", b"digest"]))
        headers.append(b"Content-Type: multipart/" + subtype + b'; boundary="' + boundary + b'"')
        body: list[bytes] = []
        if draw(st.booleans()):
            body.append(b"preamble")
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            body.append(b"--" + boundary + draw(st.sampled_from([b"", b" ", b"\t"])))
            body.append(draw(mime(depth + 1)))
        if draw(st.booleans()):
            body.append(b"--" + boundary + b"--")
        if draw(st.booleans()):
            body.append(b"epilogue")
        content = eol.join(body)
    elif kind == "message":
        headers.append(b"Content-Type: message/rfc822")
        content = draw(mime(depth + 1))
    else:
        headers.append(draw(st.sampled_from([b"Content-Type: text/html", b"Content-Disposition: attachment", b""])))
        content = eol.join(draw(st.lists(line_pieces, max_size=5)))
    headers = [h for h in headers if h]
    return eol.join(headers) + eol + eol + content if headers else eol + content


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """Generated MIME with a few lines dropped, repeated or left without their line end."""
    lines = draw(mime()).splitlines(keepends=True)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if not lines:
            break
        at = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "cut"]))
        if action == "drop":
            del lines[at]
        elif action == "repeat":
            lines.insert(at, lines[draw(st.integers(min_value=0, max_value=len(lines) - 1))])
        else:
            lines[at] = lines[at].rstrip(b"\r\n")
    return b"".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mime() | damaged())
def test_scanner_agrees_with_email(message: bytes) -> None:
    assert_agrees_with_email(message)


@FAST
@given(st.binary(max_size=3000))
def test_armor_round_trip(tail: bytes) -> None:
    envelope = MAGIC + tail
    page = io.BytesIO()
    armor(io.BytesIO(envelope), page, view_url="https://x.example/m", org_name="o", sender="s")
    out = io.BytesIO()
    dearmor(io.BytesIO(page.getvalue()), out)
    assert out.getvalue() == envelope
