"""Peak memory of one child process per operation on one large message, against a child that only imports
the library: sealing, opening the whole message, and streaming its attachment with `OpenedEnvelope.read_range`.

The peak is the child's `VmHWM` (/proc/self/status), its own resident high-water mark. Its `ru_maxrss`
is reported too but not used: Linux carries the parent's high-water mark into a child across fork and
exec, so after the crypto run a child's `ru_maxrss` starts at the parent's peak and hides any growth below it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.crypto import KEY, MESSAGE_ID
from benchmarks.results import Result, at_most_above_baseline
from benchmarks.workload import MiB

CHILD = r"""
import json, resource, sys
import mailseal.format as fmt

op, source, envelope = sys.argv[1], sys.argv[2], sys.argv[3]
key, message_id = bytes.fromhex(sys.argv[4]), bytes.fromhex(sys.argv[5])
moved = 0
if op == "seal":
    with open(source, "rb") as src, open(envelope, "wb") as out:
        fmt.seal(src, out, content_key=key, message_id=message_id, issuer="example.org",
                 sender="alice@example.org", recipients=["bob@gmail.com"],
                 policy=fmt.Policy("encrypt-only", ("view",), None), key_id="k1", created=0)
    moved = fmt.read_header(open(envelope, "rb")).payload_size
elif op == "open":
    with open(envelope, "rb") as src:
        for piece in fmt.open_envelope(src, key).iter_plaintext():
            moved += len(piece)
elif op == "stream":
    with open(envelope, "rb") as src:
        opened = fmt.open_envelope(src, key)
        part = max(opened.index.parts, key=lambda p: p.end - p.start)
        for piece in opened.read_range(part.start, part.end):
            moved += len(piece)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"peak_kib": hwm, "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "bytes": moved}))
"""

OPERATIONS = (("seal", "memory.seal.peak"), ("open", "memory.open.peak"), ("stream", "memory.stream_attachment.peak"))
LINES = tuple((name, "MiB") for _, name in OPERATIONS)


def _child(op: str, source: Path, envelope: Path) -> tuple[float, int]:
    result = subprocess.run(  # noqa: S603 - our interpreter and our script
        [sys.executable, "-c", CHILD, op, str(source), str(envelope), KEY.hex(), MESSAGE_ID.hex()],
        capture_output=True, text=True, timeout=600, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"memory child {op} failed: {result.stderr.strip()[-500:]}")
    report = json.loads(result.stdout)
    return report["peak_kib"] / 1024, int(report["bytes"])


def measure(work: Path, source: Path) -> list[Result]:
    envelope = work / "memory.seal"
    baseline, _ = _child("import", source, envelope)
    results = []
    for op, name in OPERATIONS:
        peak, moved = _child(op, source, envelope)
        note = f"{moved / MiB:.0f} MiB through one child; +{peak - baseline:.1f} MiB over the import-only child"
        results.append(Result(name, peak, "MiB", "import-only child", baseline, note,
                              goal=at_most_above_baseline(64, "MiB")))
    envelope.unlink(missing_ok=True)
    return results
