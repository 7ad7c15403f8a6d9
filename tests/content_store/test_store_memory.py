"""A big upload streams through the store: memory stays flat whatever the file size.

Measured in a fresh interpreter, so the peak RSS (``ru_maxrss``) reflects this
upload alone and not whatever earlier tests allocated.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.s3server import S3Server

ROOT = Path(__file__).resolve().parents[2]
SIZE_MIB = 128

SCRIPT = """
import hashlib, io, json, random, resource, sys
from content_store import open_store

class Source(io.RawIOBase):
    def __init__(self, size):
        self.left, self.random, self.digest = size, random.Random(1), hashlib.sha256()
    def readable(self):
        return True
    def readinto(self, buffer):
        count = min(len(buffer), self.left)
        chunk = self.random.randbytes(count)
        self.digest.update(chunk)
        buffer[:count] = chunk
        self.left -= count
        return count

def peak_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

url, size = sys.argv[1], int(sys.argv[2])
with open_store(url) as store:
    store.check()
    store.put(io.BytesIO(b"warm up the code paths"))
    before = peak_kib()
    source = Source(size)
    obj = store.put(source)
    after = peak_kib()
print(json.dumps({"growth_kib": after - before, "ok": obj.sha256 == source.digest.hexdigest()}))
"""


def put_in_subprocess(url: str) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, str(SIZE_MIB * 1024 * 1024)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, int] = json.loads(result.stdout)
    assert report["ok"]
    return report


def test_filesystem_put_keeps_memory_flat(tmp_path: Path) -> None:
    report = put_in_subprocess((tmp_path / "objects").as_uri())
    # 1 MiB chunks: a few MiB of slack for the allocator, nowhere near 128 MiB.
    assert report["growth_kib"] < 16 * 1024, report


@pytest.mark.slow
def test_s3_put_keeps_memory_flat(s3_server: S3Server) -> None:
    report = put_in_subprocess(s3_server.url_for("memory"))
    # The client holds one 16 MiB part (and its request body) at a time.
    assert report["growth_kib"] < 64 * 1024, report
