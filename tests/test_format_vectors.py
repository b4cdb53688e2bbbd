"""The sealed-message test vectors: each file opens as it says, regenerating gives the same bytes, and
the annotated example in docs/format.md is the `ok-small` vector."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import msgspec
import pytest

from mailseal.errors import DamagedEnvelope
from mailseal.format import Header, Policy, message_id_text, open_envelope, seal
from mailseal.format.header import decode_header
from mailseal.format.index import decode_index
from mailseal.format.labels import HEADER_LABEL, INDEX_LABEL, PAYLOAD_LABEL, derive_key
from mailseal.format.primitives import Aead, hmac_sha256_verify
from mailseal.format.stream import chunk_nonce

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
VECTOR_FILES = sorted(VECTORS.glob("*.txt"))


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_vectors", ROOT / "scripts" / "gen_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_vectors"] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Vector:
    fields: dict[str, str]
    envelope: bytes

    @classmethod
    def read(cls, path: Path) -> Vector:
        fields: dict[str, str] = {}
        lines = path.read_text(encoding="ascii").splitlines()
        at = lines.index("envelope:")
        for line in lines[:at]:
            if line.startswith("#"):
                continue
            key, value = line.split(": ", 1)
            fields[key] = value
        envelope = bytes.fromhex("".join(lines[at + 1 :]))
        assert len(envelope) == int(fields["envelope size"])
        return cls(fields, envelope)

    @property
    def key(self) -> bytes:
        return bytes.fromhex(self.fields["content key"])

    @property
    def message_id(self) -> bytes:
        return bytes.fromhex(self.fields["message id"])

    def parts(self) -> tuple[bytes, bytes, bytes, bytes, list[bytes]]:
        """signed header bytes, header, header MAC, index ciphertext, chunks."""
        env = self.envelope
        header_len = int.from_bytes(env[12:16], "big")
        signed = env[: 16 + header_len]
        mac = env[16 + header_len : 48 + header_len]
        index_len = int.from_bytes(env[48 + header_len : 52 + header_len], "big")
        index = env[52 + header_len : 52 + header_len + index_len]
        payload = env[52 + header_len + index_len :]
        chunks = [payload[i : i + 65552] for i in range(0, len(payload), 65552)]
        return signed, signed[16:], mac, index, chunks


def test_there_is_a_vector_for_every_scenario_of_the_brief() -> None:
    names = {path.stem for path in VECTOR_FILES}
    assert {
        "ok-small",
        "ok-empty",
        "ok-exact-chunk",
        "ok-multipart",
        "truncated-at-chunk-boundary",
        "chunks-swapped",
        "last-flag-missing",
        "extra-chunk-appended",
        "trailing-byte",
        "header-field-changed",
        "non-canonical-header",
        "unknown-magic",
        "unknown-header-version",
        "wrong-key",
    } <= names


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_vector(path: Path) -> None:
    vector = Vector.read(path)
    expect = vector.fields["expect"]
    if expect == "envelope.damaged":
        with pytest.raises(DamagedEnvelope) as caught:
            opened = open_envelope(io.BytesIO(vector.envelope), vector.key)
            opened.verify_payload()
        assert str(caught.value) == DamagedEnvelope.title  # one opaque message
        return
    assert expect == "ok"
    opened = open_envelope(io.BytesIO(vector.envelope), vector.key)
    header = opened.header
    assert header.message_id == vector.message_id
    assert header.issuer == vector.fields["issuer"]
    assert header.sender == vector.fields["sender"]
    assert header.recipients == tuple(vector.fields["recipients"].split())
    assert header.created == int(vector.fields["created"])
    assert header.policy == Policy(vector.fields["template"], tuple(vector.fields["rights"].split()), None)
    assert header.key_id == vector.fields["key id"]
    assert header.payload_size == int(vector.fields["payload size"])
    plaintext = b"".join(opened.iter_plaintext())
    assert hashlib.sha256(plaintext).hexdigest() == vector.fields["payload sha256"]
    if "payload" in vector.fields:
        assert plaintext == bytes.fromhex(vector.fields["payload"])
    generator = load_generator()
    assert generator.index_json(opened.index) == vector.fields["index"]
    # The vector is exactly what sealing its inputs gives.
    out = io.BytesIO()
    seal(
        io.BytesIO(plaintext),
        out,
        content_key=vector.key,
        message_id=vector.message_id,
        issuer=header.issuer,
        sender=header.sender,
        recipients=header.recipients,
        policy=header.policy,
        key_id=header.key_id,
        created=header.created,
    )
    assert out.getvalue() == vector.envelope


def test_multipart_vector_index_locates_each_part() -> None:
    vector = Vector.read(VECTORS / "ok-multipart.txt")
    opened = open_envelope(io.BytesIO(vector.envelope), vector.key)
    index = opened.index
    assert index.subject == "Quarterly report \u2014 draft"
    assert index.cc == "Zo\u00eb <zoe@example.net>"
    assert index.message_id_header == "<report-1@example.org>"
    assert [(p.content_type, p.depth) for p in index.parts] == [
        ("text/plain", 2),
        ("text/html", 2),
        ("application/pdf", 1),
    ]
    text, html, pdf = index.parts
    assert (text.charset, text.transfer_encoding) == ("utf-8", "quoted-printable")
    assert (pdf.filename, pdf.disposition, pdf.transfer_encoding) == ("report.pdf", "attachment", "base64")
    body = b"".join(opened.read_range(pdf.start, pdf.end))
    assert body.startswith(b"JVBERi0xLjQK") and body.endswith(b"JSVFT0YK")
    assert b"".join(opened.read_range(html.start, html.end)) == (b"<p>Hi Bob, the draft is attached. &mdash; Alice</p>")


def _mac_ok(vector: Vector) -> None:
    signed, _, mac, _, _ = vector.parts()
    hmac_sha256_verify(derive_key(vector.key, vector.message_id, HEADER_LABEL), signed, mac)


def _index_plaintext(vector: Vector) -> bytes:
    _, _, mac, index, _ = vector.parts()
    return Aead(derive_key(vector.key, vector.message_id, INDEX_LABEL)).open(b"\0" * 12, index, mac)


def test_non_canonical_header_fails_only_because_it_is_not_canonical() -> None:
    vector = Vector.read(VECTORS / "non-canonical-header.txt")
    _, header, _, _, _ = vector.parts()
    _mac_ok(vector)
    _index_plaintext(vector)
    assert msgspec.msgpack.decode(header, type=Header).created == 1767225600  # a lenient decoder agrees
    with pytest.raises(DamagedEnvelope):
        decode_header(header)


@pytest.mark.parametrize("name", ["unknown-header-version", "chunk-size-not-65536"])
def test_header_value_refused_although_its_mac_is_valid(name: str) -> None:
    vector = Vector.read(VECTORS / f"{name}.txt")
    _mac_ok(vector)
    with pytest.raises(DamagedEnvelope):
        decode_header(vector.parts()[1])


def test_index_part_out_of_range_is_refused_although_it_decrypts() -> None:
    vector = Vector.read(VECTORS / "index-part-out-of-range.txt")
    plaintext = _index_plaintext(vector)
    with pytest.raises(DamagedEnvelope):
        decode_index(plaintext, int(vector.fields["payload size"]))


def test_last_flag_missing_chunk_is_valid_only_as_a_non_final_chunk() -> None:
    vector = Vector.read(VECTORS / "last-flag-missing.txt")
    _mac_ok(vector)
    (chunk,) = vector.parts()[4]
    aead = Aead(derive_key(vector.key, vector.message_id, PAYLOAD_LABEL))
    assert aead.open(chunk_nonce(0, False), chunk)
    with pytest.raises(DamagedEnvelope):
        aead.open(chunk_nonce(0, True), chunk)


def test_extra_chunk_appended_is_refused_before_any_plaintext() -> None:
    vector = Vector.read(VECTORS / "extra-chunk-appended.txt")
    with pytest.raises(DamagedEnvelope):
        open_envelope(io.BytesIO(vector.envelope), vector.key)


def test_regenerating_gives_the_same_bytes() -> None:
    generated = load_generator().build_vectors()
    assert sorted(generated) == [path.name for path in VECTOR_FILES]
    for path in VECTOR_FILES:
        assert generated[path.name] == path.read_text(encoding="ascii"), path.name


def test_the_spec_example_is_the_ok_small_vector() -> None:
    spec = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    vector = Vector.read(VECTORS / "ok-small.txt")
    block = spec.split("and the envelope, 462 bytes, is\n\n```\n", 1)[1].split("```", 1)[0]
    hex_runs = []
    for line in block.splitlines():
        for token in line.split():
            if not re.fullmatch(r"(?:[0-9a-f]{2})+", token):
                break
            hex_runs.append(token)
    assert "".join(hex_runs) == vector.envelope.hex()
    assert message_id_text(vector.message_id) in spec
    for label in (HEADER_LABEL, INDEX_LABEL, PAYLOAD_LABEL):
        derived = derive_key(vector.key, vector.message_id, label).hex()
        assert derived in spec
        assert label.decode() in spec
    index = json.loads(vector.fields["index"])
    assert f'"start": {index["parts"][0]["start"]}, "end": {index["parts"][0]["end"]}' in spec
