"""Write the sealed-message test vectors to tests/vectors/ (one scenario per file).

Deterministic: every key, id and timestamp is fixed, so running it again gives the same bytes
(tests/test_format_vectors.py checks that). Damaged scenarios are made from valid envelopes with the
format's own building blocks, changing exactly one thing each.

    .venv/bin/python scripts/gen_vectors.py
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from mailseal.format import CHUNK_SIZE, MAGIC, Header, MessageIndex, Policy, open_envelope, seal
from mailseal.format.envelope import INDEX_NONCE
from mailseal.format.header import encode_header
from mailseal.format.index import Part
from mailseal.format.labels import HEADER_LABEL, INDEX_LABEL, PAYLOAD_LABEL, derive_key
from mailseal.format.primitives import MAC_SIZE, TAG_SIZE, Aead, hmac_sha256
from mailseal.format.stream import chunk_nonce

VECTORS = Path(__file__).resolve().parent.parent / "tests" / "vectors"
CONTENT_KEY = bytes(range(32))
OTHER_KEY = bytes(range(0x40, 0x60))
MESSAGE_ID = bytes(range(0xA0, 0xB0))
CREATED = 1767225600  # 2026-01-01T00:00:00Z
ISSUER = "example.org"
SENDER = "alice@example.org"
RECIPIENTS = ("bob@example.net",)
POLICY = Policy(template="encrypt-only", rights=("view", "reply", "forward", "print"), expires_at=None)
KEY_ID = "org-2026-01-example-key"
HEX_LINE = 64  # bytes of envelope per line
INLINE_PAYLOAD = 2048  # payloads up to this size are written out in full

SMALL = (
    b"From: Alice <alice@example.org>\r\n"
    b"To: bob@example.net\r\n"
    b"Subject: Hello\r\n"
    b"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
    b"\r\n"
    b"Hello, Bob.\r\n"
)

MULTIPART = (
    b"From: Alice <alice@example.org>\r\n"
    b"To: Bob <bob@example.net>\r\n"
    b"Cc: =?utf-8?q?Zo=C3=AB?= <zoe@example.net>\r\n"
    b"Subject: =?utf-8?q?Quarterly_report_=E2=80=94_draft?=\r\n"
    b"Date: Fri, 02 Jan 2026 09:30:00 +0100\r\n"
    b"Message-ID: <report-1@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n'
    b"\r\n"
    b"This is a multi-part message in MIME format.\r\n"
    b"--outer\r\n"
    b'Content-Type: multipart/alternative; boundary="inner"\r\n'
    b"\r\n"
    b"--inner\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hi Bob, the draft is attached. =E2=80=94 Alice\r\n"
    b"--inner\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<p>Hi Bob, the draft is attached. &mdash; Alice</p>\r\n"
    b"--inner--\r\n"
    b"--outer\r\n"
    b'Content-Type: application/pdf; name="report.pdf"\r\n'
    b'Content-Disposition: attachment; filename="report.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8\r\n"
    b"PC9Sb290IDEgMCBSPj4KJSVFT0YK\r\n"
    b"--outer--\r\n"
)


def pattern(size: int) -> bytes:
    """A deterministic, non-repeating-looking payload of `size` bytes."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


def plain_message(size: int) -> bytes:
    """A text/plain message of exactly `size` bytes."""
    head = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: Padding\r\n\r\n"
    body = pattern((size - len(head)) // 2 + 1).hex().encode("ascii")
    return (head + body)[:size]


def sealed(message: bytes, **overrides: object) -> bytes:
    out = io.BytesIO()
    inputs: dict[str, object] = {
        "content_key": CONTENT_KEY,
        "message_id": MESSAGE_ID,
        "issuer": ISSUER,
        "sender": SENDER,
        "recipients": RECIPIENTS,
        "policy": POLICY,
        "key_id": KEY_ID,
        "created": CREATED,
    }
    inputs.update(overrides)
    seal(io.BytesIO(message), out, **inputs)
    return out.getvalue()


@dataclass
class Parts:
    """A valid envelope cut along the grammar, to be changed and put back together."""

    header: bytes
    header_mac: bytes
    index: bytes
    index_plaintext: bytes
    chunks: list[bytes] = field(default_factory=list)

    @classmethod
    def cut(cls, envelope: bytes, key: bytes = CONTENT_KEY) -> Parts:
        pos = len(MAGIC)
        header_len = int.from_bytes(envelope[pos : pos + 4], "big")
        header = envelope[pos + 4 : pos + 4 + header_len]
        pos += 4 + header_len
        header_mac = envelope[pos : pos + MAC_SIZE]
        pos += MAC_SIZE
        index_len = int.from_bytes(envelope[pos : pos + 4], "big")
        index = envelope[pos + 4 : pos + 4 + index_len]
        pos += 4 + index_len
        step = CHUNK_SIZE + TAG_SIZE
        chunks = [envelope[i : i + step] for i in range(pos, len(envelope), step)]
        index_plaintext = Aead(derive_key(key, MESSAGE_ID, INDEX_LABEL)).open(INDEX_NONCE, index, header_mac)
        return cls(header, header_mac, index, index_plaintext, chunks)

    def join(self) -> bytes:
        head_len = len(self.header).to_bytes(4, "big")
        index_len = len(self.index).to_bytes(4, "big")
        return b"".join([MAGIC, head_len, self.header, self.header_mac, index_len, self.index, *self.chunks])

    def resign(self) -> None:
        """Recompute the header MAC, and the index whose AAD it is, as an honest sealer would."""
        signed = MAGIC + len(self.header).to_bytes(4, "big") + self.header
        self.header_mac = hmac_sha256(derive_key(CONTENT_KEY, MESSAGE_ID, HEADER_LABEL), signed)
        index_aead = Aead(derive_key(CONTENT_KEY, MESSAGE_ID, INDEX_LABEL))
        self.index = index_aead.seal(INDEX_NONCE, self.index_plaintext, self.header_mac)


def payload_aead(key: bytes = CONTENT_KEY, message_id: bytes = MESSAGE_ID) -> Aead:
    return Aead(derive_key(key, message_id, PAYLOAD_LABEL))


def header_of(parts: Parts) -> Header:
    return msgspec.msgpack.decode(parts.header, type=Header)


def raw_header(header: Header) -> bytes:
    """Encode without the sealer's checks, to build headers an opener must refuse."""
    return msgspec.msgpack.encode(header)


@dataclass
class Scenario:
    name: str
    comment: str
    message: bytes
    build: Callable[[bytes], bytes]  # valid envelope -> the vector's envelope
    expect: str = "envelope.damaged"
    key: bytes = CONTENT_KEY


def _unchanged(envelope: bytes) -> bytes:
    return envelope


def _truncated_at_chunk_boundary(envelope: bytes) -> bytes:
    parts = Parts.cut(envelope)
    parts.chunks = parts.chunks[:-1]
    return parts.join()


def _chunks_swapped(envelope: bytes) -> bytes:
    parts = Parts.cut(envelope)
    parts.chunks[0], parts.chunks[1] = parts.chunks[1], parts.chunks[0]
    return parts.join()


def _extra_chunk_appended(envelope: bytes) -> bytes:
    """Re-chunk a 64 KiB payload the Cobblestone way: a full non-final chunk, then an empty final one."""
    parts = Parts.cut(envelope)
    aead = payload_aead()
    plaintext = aead.open(chunk_nonce(0, True), parts.chunks[0])
    parts.chunks = [aead.seal(chunk_nonce(0, False), plaintext), aead.seal(chunk_nonce(1, True), b"")]
    return parts.join()


def _last_flag_missing(envelope: bytes) -> bytes:
    parts = Parts.cut(envelope)
    aead = payload_aead()
    plaintext = aead.open(chunk_nonce(0, True), parts.chunks[0])
    parts.chunks = [aead.seal(chunk_nonce(0, False), plaintext)]
    return parts.join()


def _trailing_byte(envelope: bytes) -> bytes:
    return envelope + b"\x00"


def _header_field_changed(envelope: bytes) -> bytes:
    parts = Parts.cut(envelope)
    header = msgspec.structs.replace(header_of(parts), sender="mallory@example.org")
    parts.header = encode_header(header)
    return parts.join()


def _non_canonical_header(envelope: bytes) -> bytes:
    """`created` as a uint64 instead of a uint32; MAC and index made over these very bytes."""
    parts = Parts.cut(envelope)
    canonical = b"\xce" + CREATED.to_bytes(4, "big")
    assert parts.header.count(canonical) == 1
    parts.header = parts.header.replace(canonical, b"\xcf" + CREATED.to_bytes(8, "big"))
    parts.resign()
    return parts.join()


def _unknown_magic(envelope: bytes) -> bytes:
    return b"mailseal/v2\n" + envelope[len(MAGIC) :]


def _unknown_header_version(envelope: bytes) -> bytes:
    parts = Parts.cut(envelope)
    parts.header = raw_header(msgspec.structs.replace(header_of(parts), version=2))
    parts.resign()
    return parts.join()


def _other_chunk_size(envelope: bytes) -> bytes:
    """chunk_size 16384 with a valid MAC (the payload fits one chunk either way): still refused."""
    parts = Parts.cut(envelope)
    parts.header = raw_header(msgspec.structs.replace(header_of(parts), chunk_size=16384))
    parts.resign()
    return parts.join()


def _index_part_out_of_range(envelope: bytes) -> bytes:
    parts = Parts.cut(envelope)
    index = msgspec.msgpack.decode(parts.index_plaintext, type=MessageIndex)
    bad = msgspec.structs.replace(index.parts[0], end=header_of(parts).payload_size + 1)
    parts.index_plaintext = msgspec.msgpack.encode(msgspec.structs.replace(index, parts=(bad,)))
    parts.resign()
    return parts.join()


def _index_from_other_envelope(envelope: bytes) -> bytes:
    """The index of a message sealed with another content key, spliced in."""
    other = Parts.cut(sealed(SMALL, content_key=OTHER_KEY), key=OTHER_KEY)
    parts = Parts.cut(envelope)
    parts.index = other.index
    return parts.join()


SCENARIOS = [
    Scenario("ok-small", "a short text/plain message: one final chunk", SMALL, _unchanged, "ok"),
    Scenario("ok-empty", "an empty message: one empty final chunk", b"", _unchanged, "ok"),
    Scenario(
        "ok-exact-chunk",
        "a message of exactly 65536 bytes: one full final chunk, no empty chunk after it",
        plain_message(CHUNK_SIZE),
        _unchanged,
        "ok",
    ),
    Scenario(
        "ok-multipart",
        "multipart/mixed with a text/html alternative and a PDF attachment; check the index",
        MULTIPART,
        _unchanged,
        "ok",
    ),
    Scenario(
        "truncated-at-chunk-boundary",
        "the final chunk of a two-chunk payload removed",
        plain_message(CHUNK_SIZE + 100),
        _truncated_at_chunk_boundary,
    ),
    Scenario(
        "chunks-swapped",
        "the two full chunks of a 131072-byte payload swapped",
        plain_message(2 * CHUNK_SIZE),
        _chunks_swapped,
    ),
    Scenario(
        "extra-chunk-appended",
        "a 65536-byte payload as a full non-final chunk and an appended empty final chunk",
        plain_message(CHUNK_SIZE),
        _extra_chunk_appended,
    ),
    Scenario(
        "last-flag-missing",
        "the only chunk sealed without the final flag",
        SMALL,
        _last_flag_missing,
    ),
    Scenario("trailing-byte", "one zero byte after the final chunk", SMALL, _trailing_byte),
    Scenario(
        "header-field-changed",
        "the sender changed in the header, the MAC left as it was",
        SMALL,
        _header_field_changed,
    ),
    Scenario(
        "non-canonical-header",
        "created encoded as uint64; the MAC and index are valid for these bytes",
        SMALL,
        _non_canonical_header,
    ),
    Scenario("unknown-magic", 'the magic says "mailseal/v2"', SMALL, _unknown_magic),
    Scenario(
        "unknown-header-version",
        "header version 2 with a valid MAC and index",
        SMALL,
        _unknown_header_version,
    ),
    Scenario(
        "chunk-size-not-65536",
        "chunk_size 16384 in the header with a valid MAC and index",
        SMALL,
        _other_chunk_size,
    ),
    Scenario(
        "index-part-out-of-range",
        "a validly encrypted index whose part ends after the payload",
        SMALL,
        _index_part_out_of_range,
    ),
    Scenario(
        "index-from-other-envelope",
        "the index of another envelope spliced in",
        SMALL,
        _index_from_other_envelope,
    ),
    Scenario(
        "wrong-key",
        "a valid envelope opened with another content key",
        SMALL,
        _unchanged,
        key=OTHER_KEY,
    ),
]


def index_json(index: MessageIndex) -> str:
    def part(p: Part) -> dict[str, object]:
        return {name: getattr(p, name) for name in p.__struct_fields__}

    # The spec's names: "from", not the Python attribute "from_".
    data: dict[str, object] = {name.rstrip("_"): getattr(index, name) for name in index.__struct_fields__}
    data["parts"] = [part(p) for p in index.parts]
    return json.dumps(data, ensure_ascii=True, sort_keys=True)


def render(scenario: Scenario) -> str:
    valid = sealed(scenario.message)
    envelope = scenario.build(valid)
    lines = [
        "# Mailseal sealed-message test vector, made by scripts/gen_vectors.py (do not edit)",
        f"scenario: {scenario.name}",
        f"comment: {scenario.comment}",
        f"expect: {scenario.expect}",
        f"content key: {scenario.key.hex()}",
        f"message id: {MESSAGE_ID.hex()}",
        f"issuer: {ISSUER}",
        f"sender: {SENDER}",
        f"recipients: {' '.join(RECIPIENTS)}",
        f"created: {CREATED}",
        f"template: {POLICY.template}",
        f"rights: {' '.join(POLICY.rights)}",
        "expires at: none",
        f"key id: {KEY_ID}",
        f"payload size: {len(scenario.message)}",
        f"payload sha256: {hashlib.sha256(scenario.message).hexdigest()}",
    ]
    if len(scenario.message) <= INLINE_PAYLOAD:
        lines.append(f"payload: {scenario.message.hex()}")
    if scenario.expect == "ok":
        lines.append(f"index: {index_json(open_envelope(io.BytesIO(envelope), scenario.key).index)}")
    lines.append(f"envelope size: {len(envelope)}")
    lines.append("envelope:")
    lines += [envelope[i : i + HEX_LINE].hex() for i in range(0, len(envelope), HEX_LINE)]
    return "\n".join(lines) + "\n"


def build_vectors() -> dict[str, str]:
    """File name -> contents, for every scenario."""
    return {f"{s.name}.txt": render(s) for s in SCENARIOS}


def main() -> int:
    VECTORS.mkdir(parents=True, exist_ok=True)
    vectors = build_vectors()
    for stale in VECTORS.glob("*.txt"):
        if stale.name not in vectors:
            stale.unlink()
    for name, text in vectors.items():
        (VECTORS / name).write_text(text, encoding="ascii")
    print(f"wrote {len(vectors)} vectors to {VECTORS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
