"""Child process that extracts one file: ``python -m search_index.extract.worker``.

Reads a JSON request on stdin, limits itself with setrlimit before importing
any parser, and writes one JSON result on stdout. Whatever a hostile file
does to the parser stays in this process.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time
import traceback
from typing import Any

from search_index.extract.common import (
    CORRUPT,
    CORRUPT_PARTIAL,
    MEMORY,
    TIMEOUT,
    TIMEOUT_PARTIAL,
    TOO_MANY_CHARS,
    UNSUPPORTED,
    ExtractionFailed,
    ExtractionLimits,
    ExtractionResult,
    OutOfTime,
    SinkFull,
    TextSink,
)

#: Share of the wall and CPU limits the worker allows itself before stopping
#: with partial text; the rest is margin for start-up and writing the result.
TIME_BUDGET = 0.8

MODULES = {
    "pdf": "pdf",
    "docx": "docx",
    "doc": "doc",
    "odt": "odf",
    "odp": "odf",
    "ods": "odf",
    "rtf": "rtf",
    "txt": "txt",
    "pptx": "pptx",
    "xlsx": "xlsx",
}

# Control characters other than tab and newline carry nothing searchable.
_CONTROL = {code: None for code in range(32) if code not in (9, 10)} | {0x7F: None}


def apply_limits(limits: ExtractionLimits) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    # SIGXCPU at the soft limit; the hard limit one second later is a SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Nothing here writes files; a parser that tries gets SIGXFSZ.
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def run(
    path: str, kind: str, limits: ExtractionLimits, started: float | None = None
) -> ExtractionResult:
    """Extract ``path``; ``started`` is when the parent's wall clock began
    (``time.monotonic()`` in the parent), so a start slowed down by a loaded
    machine still leaves time to report the text found before the parent's
    wall limit kills this process."""
    module_name = MODULES.get(kind)
    if module_name is None:
        return ExtractionResult("", "failed", UNSUPPORTED)
    now = time.monotonic()
    deadline = now + min(limits.wall_seconds, limits.cpu_seconds) * TIME_BUDGET
    if started is not None and started <= now:
        deadline = min(deadline, started + limits.wall_seconds * TIME_BUDGET)
    sink = TextSink(limits.max_chars, deadline=deadline)
    partial: str | None
    try:
        module: Any = importlib.import_module(f"search_index.extract.{module_name}")
        partial = module.extract(path, sink, limits)
    except SinkFull:
        partial = TOO_MANY_CHARS
    except OutOfTime:
        if not sink:
            return ExtractionResult("", "failed", TIMEOUT)
        partial = TIMEOUT_PARTIAL
    except ExtractionFailed as failure:
        if sink and failure.reason == CORRUPT:
            partial = CORRUPT_PARTIAL
        else:
            return ExtractionResult("", "failed", failure.reason)
    except MemoryError:
        sink = TextSink(0)
        return ExtractionResult("", "failed", MEMORY)
    except Exception:  # any parser bug on a hostile file is a broken file to the user
        traceback.print_exc(file=sys.stderr)
        if sink:
            partial = CORRUPT_PARTIAL
        else:
            return ExtractionResult("", "failed", CORRUPT)
    text = sink.text().replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL)
    return ExtractionResult(text, "partial" if partial else "full", partial)


def main() -> int:
    request = json.loads(sys.stdin.buffer.read(1024 * 1024).decode("utf-8"))
    limits = ExtractionLimits.from_dict(request["limits"])
    apply_limits(limits)
    try:
        started = request.get("started")
        started = float(started) if isinstance(started, int | float) else None
        result = run(request["path"], request["kind"], limits, started)
    except MemoryError:
        result = ExtractionResult("", "failed", MEMORY)
    payload = {"text": result.text, "status": result.status, "reason": result.reason}
    del result
    sys.stdout.buffer.write(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
