"""A 100 MiB message seals, opens, armors and dearmors in a child process with bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MIB = 1024 * 1024

CHILD = r"""
import base64, hashlib, io, json, os, resource, sys
from pathlib import Path

import mailseal.format as fmt

def peak_kib():
    # VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts at its parent's peak (kept across exec),
    # which would hide any growth here whenever the test runner itself is larger.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

baseline = peak_kib()
work = Path(sys.argv[1])
size_mib = int(sys.argv[2])
source, envelope, page = work / "message.eml", work / "message.seal", work / "message.html"

# A multipart message whose attachment is ~size_mib MiB of base64, written in blocks.
block = base64.encodebytes(os.urandom(57 * 1024)).replace(b"\n", b"\r\n")
head = (
    b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: big\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
    b"--b\r\nContent-Type: application/octet-stream; name=big.bin\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n"
)
tail = b"--b--\r\n"
blocks = -(-size_mib * 1024 * 1024 // len(block))
whole = hashlib.sha256(head)
attachment = hashlib.sha256()  # the body without the line end that belongs to the delimiter
with source.open("wb") as f:
    f.write(head)
    for i in range(blocks):
        f.write(block)
        whole.update(block)
        attachment.update(block if i < blocks - 1 else block[:-2])
    f.write(tail)
    whole.update(tail)
size = source.stat().st_size

with source.open("rb") as src, envelope.open("wb") as out:
    header = fmt.seal(
        src, out, content_key=bytes(32), message_id=bytes(16), issuer="example.org",
        sender="alice@example.org", recipients=["bob@example.net"],
        policy=fmt.Policy("encrypt-only", ("view",), None), key_id="k", created=0,
    )
after_seal = peak_kib()

class Sink:
    def __init__(self):
        self.hash = hashlib.sha256(); self.size = 0
    def write(self, data):
        self.hash.update(data); self.size += len(data); return len(data)

with envelope.open("rb") as src:
    opened = fmt.open_envelope(src, bytes(32))
    opened_hash = hashlib.sha256()
    for chunk in opened.iter_plaintext():
        opened_hash.update(chunk)
    big = opened.index.parts[-1]
    range_hash = hashlib.sha256()
    for piece in opened.read_range(big.start, big.end):
        range_hash.update(piece)
with envelope.open("rb") as src, page.open("wb") as out:
    fmt.armor(src, out, view_url="https://x.example/m", org_name="o", sender="s")
with page.open("rb") as src:
    sink = Sink()
    fmt.dearmor(src, sink)
envelope_hash = hashlib.sha256()
with envelope.open("rb") as src:
    while data := src.read(1 << 20):
        envelope_hash.update(data)

print(json.dumps({
    "baseline_kib": baseline, "after_seal_kib": after_seal, "peak_kib": peak_kib(),
    "size": size, "payload_size": header.payload_size,
    "round_trip": opened_hash.hexdigest() == whole.hexdigest(),
    "attachment_range": range_hash.hexdigest() == attachment.hexdigest(),
    "parts": [(p.content_type, p.filename) for p in opened.index.parts],
    "dearmored": sink.hash.hexdigest() == envelope_hash.hexdigest(),
}))
"""


@pytest.mark.slow
def test_100_mib_message_in_bounded_memory(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), "100"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["size"] > 100 * MIB
    assert report["payload_size"] == report["size"]
    assert report["round_trip"] is True
    assert report["attachment_range"] is True
    assert report["dearmored"] is True
    assert report["parts"] == [["text/plain", ""], ["application/octet-stream", "big.bin"]]
    grown_mib = (report["peak_kib"] - report["baseline_kib"]) / 1024
    assert grown_mib < 60, f"peak memory grew by {grown_mib:.1f} MiB for a 100 MiB message"
