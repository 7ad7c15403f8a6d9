"""Text extraction from uploaded files, in a child process with hard limits.

``extract_text`` never raises and never hangs: the child runs
``python -m search_index.extract.worker`` with address-space, CPU and file
size limits set by itself (``setrlimit``), the parent enforces the wall-clock
limit and kills the child's whole process group when it runs over, and any
crash, signal or garbage output becomes a "failed" result with a reason.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from search_index.extract.common import (
    CPU_TIMEOUT,
    CRASHED,
    FILE_TOO_BIG,
    MEMORY,
    NOT_FOUND,
    SUPPORTED_KINDS,
    TIMEOUT,
    UNSUPPORTED,
    ExtractionLimits,
    ExtractionResult,
)

__all__ = ["SUPPORTED_KINDS", "ExtractionLimits", "ExtractionResult", "extract_text"]

#: The folder that holds the ``search_index`` package, for the child's path.
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def worker_command() -> list[str]:
    return [sys.executable, "-B", "-m", "search_index.extract.worker"]


def _worker_env() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": _PACKAGE_ROOT,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }


def _failed(reason: str) -> ExtractionResult:
    return ExtractionResult("", "failed", reason)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _parse_output(returncode: int, stdout: bytes) -> ExtractionResult:
    if returncode < 0:
        if -returncode in (signal.SIGXCPU, signal.SIGKILL):
            return _failed(CPU_TIMEOUT)
        return _failed(CRASHED)
    try:
        data: Any = json.loads(stdout.decode("utf-8"))
        status = data["status"]
        if status not in ("full", "partial", "failed"):
            return _failed(CRASHED)
        reason = data.get("reason")
        return ExtractionResult(str(data.get("text") or ""), status, reason and str(reason))
    except (ValueError, KeyError, TypeError):
        return _failed(MEMORY if b"MemoryError" in stdout else CRASHED)


def extract_text(path: str, kind: str, limits: ExtractionLimits | None = None) -> ExtractionResult:
    """Extract the text of ``path`` as format ``kind`` (a file extension such as
    ``"pdf"``); the result's ``reason`` is a short Russian message."""
    started = time.monotonic()
    limits = limits or ExtractionLimits()
    kind = (kind or "").lower().lstrip(".")
    if kind not in SUPPORTED_KINDS:
        return _failed(UNSUPPORTED)
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return _failed(NOT_FOUND)
    if not os.path.isfile(path):
        return _failed(NOT_FOUND)
    if info.st_size > limits.max_file_bytes:
        return _failed(FILE_TOO_BIG)

    # CLOCK_MONOTONIC is one clock for the whole machine: the child measures
    # its budget from this moment, not from the end of its own slow start.
    request = json.dumps(
        {
            "path": os.path.abspath(path),
            "kind": kind,
            "limits": limits.to_dict(),
            "started": started,
        }
    ).encode("utf-8")
    try:
        proc = subprocess.Popen(
            worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=_PACKAGE_ROOT,
            env=_worker_env(),
            start_new_session=True,
        )
    except OSError:
        return _failed(CRASHED)
    try:
        stdout, _ = proc.communicate(request, timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        return _failed(TIMEOUT)
    except BaseException:
        _kill_group(proc)
        proc.communicate()
        raise
    return _parse_output(proc.returncode, stdout)
