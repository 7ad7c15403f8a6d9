"""Legacy Word (.doc) through Debian's antiword, falling back to catdoc."""

from __future__ import annotations

import shutil
import subprocess
import time

from search_index.extract.common import (
    CORRUPT,
    ENCRYPTED,
    TIMEOUT,
    TOOL_MISSING,
    ExtractionFailed,
    ExtractionLimits,
    TextSink,
)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _run(command: list[str], deadline: float) -> subprocess.CompletedProcess[bytes]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ExtractionFailed(TIMEOUT)
    try:
        return subprocess.run(command, capture_output=True, timeout=remaining, check=False)
    except subprocess.TimeoutExpired:
        raise ExtractionFailed(TIMEOUT) from None


def extract(path: str, sink: TextSink, limits: ExtractionLimits) -> str | None:
    with open(path, "rb") as handle:
        if handle.read(8) != _OLE_MAGIC:
            raise ExtractionFailed(CORRUPT)
    antiword = shutil.which("antiword")
    catdoc = shutil.which("catdoc")
    if antiword is None and catdoc is None:
        raise ExtractionFailed(TOOL_MISSING)
    # Leave the worker's own wall limit a margin to report the timeout.
    deadline = time.monotonic() + max(1.0, limits.wall_seconds - 2.0)
    failure = CORRUPT
    if antiword is not None:
        done = _run([antiword, "-m", "UTF-8.txt", "-w", "0", "--", path], deadline)
        if done.returncode == 0 and done.stdout.strip():
            sink.add(done.stdout.decode("utf-8", errors="replace"))
            return None
        if b"encrypted" in done.stderr.lower():
            failure = ENCRYPTED
    if catdoc is not None and failure != ENCRYPTED:
        done = _run([catdoc, "-d", "utf-8", "-w", "--", path], deadline)
        if done.returncode == 0 and done.stdout.strip():
            sink.add(done.stdout.decode("utf-8", errors="replace"))
            return None
    raise ExtractionFailed(failure)
