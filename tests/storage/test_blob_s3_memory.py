"""A 100 MiB envelope goes to S3 and comes back, ranged and whole, in a child process with bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MIB = 1024 * 1024

CHILD = r"""
import hashlib, json, random, sys
from pathlib import Path

from mailseal.storage.blobs import open_blob_store

MIB = 1024 * 1024

def peak_kib():
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's peak (see test_format_memory).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

def block(number):
    return random.Random(number).randbytes(MIB)

url, work, size_mib, step = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
message_id = "a" * 26
store = open_blob_store(url, staging=work / "staging")
whole = hashlib.sha256()
for number in range(size_mib):
    whole.update(block(number))
baseline = peak_kib()
report = {"baseline_kib": baseline}
if step == "put":  # each step in its own process: VmHWM is a high-water mark
    with store.staging() as (handle, path):
        for number in range(size_mib):
            handle.write(block(number))
        handle.flush()
        store.commit(path, message_id)
    report.update(size=store.size(message_id), peak_kib=peak_kib())
else:
    with store.open(message_id) as reader:
        start = (size_mib // 2) * MIB + 12345
        reader.seek(start)
        ranged_ok = reader.read(65552) == block(size_mib // 2)[12345 : 12345 + 65552]
    ranged_kib = peak_kib()
    streamed = hashlib.sha256()
    with store.open(message_id) as reader:
        while piece := reader.read(65552):
            streamed.update(piece)
    report.update(ranged_ok=ranged_ok, stream_ok=streamed.digest() == whole.digest(), ranged_kib=ranged_kib,
                  peak_kib=peak_kib())
print(json.dumps(report))
"""


@pytest.mark.slow
def test_100_mib_envelope_to_s3_and_back_in_bounded_memory(tmp_path: Path, s3_blob_url: str) -> None:
    def child(step: str) -> dict[str, int | bool]:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, s3_blob_url, str(tmp_path), "100", step],
            capture_output=True, text=True, timeout=300, check=False,
        )
        assert result.returncode == 0, result.stderr
        report: dict[str, int | bool] = json.loads(result.stdout)
        return report

    put, read = child("put"), child("read")
    assert put["size"] == 100 * MIB
    assert read["ranged_ok"] is True and read["stream_ok"] is True
    grown = {
        "put": (put["peak_kib"] - put["baseline_kib"]) / 1024,
        "one chunk": (read["ranged_kib"] - read["baseline_kib"]) / 1024,
        "stream": (read["peak_kib"] - read["baseline_kib"]) / 1024,
    }
    print(json.dumps(grown))
    assert grown["put"] < 48, f"peak memory grew by {grown['put']:.1f} MiB for a 100 MiB upload"
    assert grown["one chunk"] < 8 and grown["stream"] < 8, f"reading grew the peak by {grown} MiB"
