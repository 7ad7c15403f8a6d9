"""Benchmark: a large file uploaded and downloaded through the site beside a plain copy.

    .venv/bin/python bench/storage.py [--quick | --size-mb N] [--repeats N]
                                      [--download-pairs N] [--s3]
                                      [--server gunicorn|flask] [--threads N]
                                      [--site-env NAME=VALUE ...] [--workdir DIR] [--keep]

The goal (from the issue): upload and download of a 500 MB file through the site
beside a plain copy of the same bytes on the same store; download throughput at
least 0.7 of the plain copy, and peak memory of the site process growing by less
than 64 MB during either.

What it does:

* makes a temporary instance folder, migrates a SQLite database there and
  creates a methodist, then runs the real site in a separate process
  (``gunicorn -w 1 --threads 4 wsgi:app`` by default, ``flask run`` with
  ``--server flask``) so that its memory can be watched from outside;
* writes a file of random bytes (500 MB, ``--quick`` 64 MB) chunk by chunk,
  shaped as an MP4 so the upload form accepts it; each run rewrites 16 bytes
  of it so every upload stores new bytes rather than meeting the content-
  addressed copy of the previous run;
* signs in with the stdlib HTTP client, uploads through ``POST /materials/new``
  as a multipart body streamed from disk with a known Content-Length (the file
  part goes out with ``sendfile``), finds the file's id on the material page and
  downloads it with ``GET /files/<id>/download`` into a new file on the store's
  filesystem, 1 MiB at a time, ``fsync``-ed at the end (inside the timing), as
  a browser saving the file would;
* times the plain copy of the same bytes on the same store, the goal's baseline:
  for the filesystem store, upload = a copy of the source into a new file on the
  storage filesystem (``copyfileobj`` plus the ``fsync`` the store itself does)
  and download = a copy of the stored object (``<root>/ab/cd/<sha256>``) into a
  new file beside the site's downloads, 1 MiB at a time and ``fsync``-ed at the
  end: like the site's download it reads the bytes once and writes them once;
  for S3 the ``minio`` client's ``fput_object`` (the store's part size) and
  ``get_object`` into such a new file, ``fsync``-ed;
* times, as secondary ceilings beside that baseline, a "raw read" of the stored
  object into /dev/null (no write: what reading alone costs) and, for the
  filesystem store, a download from a bare HTTP server (another process, one
  ``sendfile`` per request, no framework) written to a new file like the
  site's: the ceiling of any site on this loopback;
* measures downloads twice: with the object in the page cache (as it is right
  after the upload, for site and copy alike: the goal's case) and with it
  dropped from the cache first (``posix_fadvise(DONTNEED)`` on the stored
  object before every site download, copy and raw read), as a file that has
  not been read for a while is;
* samples the site worker's VmRSS every 50 ms during each transfer and also
  resets and reads its VmHWM (the kernel's own peak), and its CPU time. "+idle"
  is the peak over the idle RSS measured after a warm-up upload and download
  of 1 MB (the goal's measure), "+during" the largest rise within one transfer;
* makes the baseline stable: the plain copy runs in this process, the one
  that receives the site's downloads; every timed transfer starts after an
  untimed ``os.sync()`` (no one pays for the previous transfer's write-back);
  each run (a new upload) measures ``--download-pairs`` (default 7) adjacent
  pairs of a site download and a plain copy per cache state, alternating which
  goes first; the download ratio is the MEDIAN OF THE PAIRS' RATIOS, so a slow
  spell of a shared machine weighs on both members of a pair instead of on one
  side (with 3 runs of one pair each, the figure once swung from 1.49 to 0.62);
  then one more download from each site is checked against the source's SHA-256.

``--s3`` adds the S3 store served by ``rclone serve s3`` (tests/support):
uploads through the site and downloads in both modes of ``S3_DOWNLOAD_MODE``
(a second site process, built with ``create_app(S3_DOWNLOAD_MODE='stream')``
because no environment variable sets it, streams; the default one redirects to
a presigned URL, which the client follows). ``--site-env`` passes extra
variables to the sites, e.g. ``MALLOC_ARENA_MAX=2`` to try allocator settings.

MB here means MiB (1 048 576 bytes); throughput is MB/s. The last line printed
is ``key=value`` pairs: ``download_ratio`` (what ``goal_download_ratio_ok``
checks) is the site's download over the plain copy's, warm cache, the median
over ``download_pairs`` adjacent pairs;
``download_ratio_vs_raw_read`` and ``download_ratio_vs_raw_http`` are over the
ceilings.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MiB = 1024 * 1024
CHUNK = MiB
SAMPLE_INTERVAL = 0.05
GOAL_DOWNLOAD_RATIO = 0.7
GOAL_MEMORY_MB = 64.0

EMAIL = "m@bench.ru"
PASSWORD = "bench-pass-1"
FULL_NAME = "Бенч Методист"

# An MP4 "ftyp" box: what the upload's content sniffing recognises as a video.
MP4_HEADER = struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2"
NONCE_OFFSET = len(MP4_HEADER)
NONCE_SIZE = 16
UPLOAD_NAME = "bench-video.mp4"

_CSRF_RE = re.compile(r"<input[^>]*name=\"csrf_token\"[^>]*>")
_VALUE_RE = re.compile(r"value=\"([^\"]*)\"")
_FILE_LINK_RE = re.compile(r"/files/(\d+)/download")
_MATERIAL_RE = re.compile(r"/materials/(\d+)$")
_ERROR_RE = re.compile(r"class=\"[^\"]*(?:invalid-feedback|alert)[^\"]*\"[^>]*>\s*([^<]+)")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the source file ------------------------------------------------------------


def make_source(path: Path, size: int) -> None:
    """Random bytes shaped as an MP4, written a chunk at a time."""
    with open(path, "wb") as fh:
        fh.write(MP4_HEADER)
        written = len(MP4_HEADER)
        while written < size:
            count = min(CHUNK, size - written)
            fh.write(os.urandom(count))
            written += count


def renew_source(path: Path) -> str:
    """New bytes at a fixed place, so the next upload is a new object; its SHA-256."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.pwrite(fd, os.urandom(NONCE_SIZE), NONCE_OFFSET)
    finally:
        os.close(fd)
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def drain(stream: BinaryIO, sink: int, hasher: Any | None = None) -> int:
    """Read ``stream`` to its end 1 MiB at a time into the ``sink`` descriptor."""
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    total = 0
    while True:
        count = stream.readinto(view)  # type: ignore[attr-defined]
        if not count:
            return total
        os.write(sink, view[:count])
        if hasher is not None:
            hasher.update(view[:count])
        total += count


# --- memory and CPU of the site process -------------------------------------------


def _status_kb(pid: int, *names: str) -> dict[str, int]:
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            if key in names:
                values[key] = int(rest.split()[0])
    return values


def rss_mb(pid: int) -> float:
    return _status_kb(pid, "VmRSS")["VmRSS"] / 1024


def cpu_seconds(pid: int) -> float:
    """User plus system time of the process, all its threads."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Reading:
    """One transfer as the site process saw it."""

    before_mb: float
    peak_mb: float
    cpu_s: float


class ProcessWatch:
    """VmRSS sampled every 50 ms in a thread, the kernel's VmHWM reset at the start, CPU time."""

    def __init__(self, pid: int, interval: float = SAMPLE_INTERVAL) -> None:
        self.pid = pid
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._peak_kb = 0
        self._hwm_reset = False
        self.reading: Reading | None = None

    def _run(self) -> None:
        while not self._stop.is_set():
            with suppress(OSError, KeyError):
                self._peak_kb = max(self._peak_kb, _status_kb(self.pid, "VmRSS")["VmRSS"])
            self._stop.wait(self.interval)

    def __enter__(self) -> ProcessWatch:
        try:
            # "5" resets the peak resident set size to the current one (Linux 4.0+).
            with open(f"/proc/{self.pid}/clear_refs", "w", encoding="ascii") as fh:
                fh.write("5")
            self._hwm_reset = True
        except OSError:
            self._hwm_reset = False
        self._before_kb = _status_kb(self.pid, "VmRSS")["VmRSS"]
        self._peak_kb = self._before_kb
        self._cpu = cpu_seconds(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        peak = self._peak_kb
        cpu = 0.0
        with suppress(OSError, KeyError):
            values = _status_kb(self.pid, "VmRSS", "VmHWM")
            peak = max(peak, values["VmRSS"])
            if self._hwm_reset:
                peak = max(peak, values["VmHWM"])
            cpu = cpu_seconds(self.pid) - self._cpu
        self.reading = Reading(self._before_kb / 1024, peak / 1024, cpu)


# --- the site -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the fields after it do not.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


class Site:
    """One site process (gunicorn master and worker, or ``flask run``) on its own port."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        workdir: Path,
        *,
        app_spec: str = "wsgi:app",
        server: str = "gunicorn",
        threads: int = 4,
    ) -> None:
        self.name = name
        self.env = env
        self.port = free_port()
        self.log_path = workdir / f"site-{name}.log"
        self.app_spec = app_spec
        self.server = server
        self.threads = threads
        self.process: subprocess.Popen[bytes] | None = None
        self._worker: int | None = None

    def command(self) -> list[str]:
        if self.server == "gunicorn":
            return [
                str(BIN / "gunicorn"),
                "--no-control-socket",
                "-w",
                "1",
                "--threads",
                str(self.threads),
                "--timeout",
                "600",
                "-b",
                f"127.0.0.1:{self.port}",
                self.app_spec,
            ]
        app = "wsgi" if self.app_spec == "wsgi:app" else self.app_spec
        return [
            str(BIN / "flask"),
            "--app",
            app,
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-reload",
            "--no-debugger",
            "--with-threads",
        ]

    def start(self, timeout: float = 60.0) -> Site:
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one below
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"site {self.name} exited at start:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"site {self.name} did not answer in {timeout} s:\n{self.log_tail()}")

    @property
    def worker_pid(self) -> int:
        """The process that serves requests: gunicorn's only worker, or flask itself."""
        assert self.process is not None
        if self.server != "gunicorn":
            return self.process.pid
        if self._worker is None or not Path(f"/proc/{self._worker}").exists():
            children = _children(self.process.pid)
            if len(children) != 1:
                raise RuntimeError(f"expected one gunicorn worker, found {children}")
            self._worker = children[0]
        return self._worker

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def flask_cli(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


# --- an HTTP client with a cookie jar ---------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Client:
    """Just enough of a browser: cookies, forms, a streamed multipart upload, downloads."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def _connection(self, host: str = "127.0.0.1", port: int | None = None) -> Any:
        return http.client.HTTPConnection(host, port or self.port, timeout=600)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _remember(self, response: http.client.HTTPResponse) -> None:
        for value in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=self._headers(headers))
            response = conn.getresponse()
            data = response.read()
            self._remember(response)
            return Reply(response.status, response.headers, data)
        finally:
            conn.close()

    def csrf_token(self, path: str) -> str:
        reply = self.request("GET", path)
        if reply.status != 200:
            raise RuntimeError(f"GET {path} answered {reply.status}")
        tag = _CSRF_RE.search(reply.text)
        value = _VALUE_RE.search(tag.group(0)) if tag else None
        if value is None:
            raise RuntimeError(f"no csrf_token on {path}")
        return value.group(1)

    def login(self, email: str, password: str) -> None:
        token = self.csrf_token("/login")
        body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
        reply = self.request(
            "POST",
            "/login",
            body.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        location = reply.headers.get("Location", "")
        if reply.status != 302 or "/login" in location or "change-password" in location:
            raise RuntimeError(f"login failed: {reply.status} {location}")

    def upload(self, source: Path, title: str) -> tuple[float, int]:
        """Create a published material holding ``source``; (seconds, file id)."""
        token = self.csrf_token("/materials/new")
        boundary = "----bench" + secrets.token_hex(12)
        fields = {
            "csrf_token": token,
            "title": title,
            "material_type": "development",
            "action": "publish",
        }
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
            for name, value in fields.items()
        )
        head += (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="{UPLOAD_NAME}"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = source.stat().st_size
        conn = self._connection()
        try:
            started = time.perf_counter()
            conn.putrequest("POST", "/materials/new")
            headers = self._headers(
                {
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "Content-Length": str(len(head) + size + len(tail)),
                }
            )
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            conn.send(head)
            with open(source, "rb") as fh:
                conn.sock.sendfile(fh)
            conn.send(tail)
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            self._remember(response)
        finally:
            conn.close()
        location = response.headers.get("Location", "")
        match = _MATERIAL_RE.search(urllib.parse.urlsplit(location).path)
        if response.status != 302 or match is None:
            errors = [" ".join(m.split()) for m in _ERROR_RE.findall(body.decode(errors="replace"))]
            raise RuntimeError(f"upload answered {response.status} {location}: {errors}")
        page = self.request("GET", f"/materials/{match.group(1)}")
        ids = [int(found) for found in _FILE_LINK_RE.findall(page.text)]
        if not ids:
            raise RuntimeError(f"no download link on material {match.group(1)}")
        return elapsed, max(ids)

    def download(
        self, path: str, sink: int, hasher: Any | None = None, *, sync: bool = False
    ) -> tuple[float, int]:
        """GET ``path`` (following one redirect) into ``sink``; (seconds, bytes).

        With ``sync`` the ``sink`` file is ``fsync``-ed before the clock stops.
        """
        started = time.perf_counter()
        conn = self._connection()
        try:
            conn.request("GET", path, headers=self._headers())
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307):
                response.read()
                target = urllib.parse.urlsplit(response.headers["Location"])
                conn.close()
                conn = self._connection(target.hostname or "127.0.0.1", target.port)
                query = f"?{target.query}" if target.query else ""
                conn.request("GET", target.path + query)  # a presigned URL needs no cookie
                response = conn.getresponse()
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}: {response.read()!r}")
            count = drain(response, sink, hasher)  # type: ignore[arg-type]
            if sync:
                os.fsync(sink)
        finally:
            conn.close()
        return time.perf_counter() - started, count


# --- plain copies on the same store -----------------------------------------------


def evict(path: Path) -> None:
    """Drop a file's pages from the page cache (clean pages need no privileges)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def object_key(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class Scratch:
    """New files on the store's filesystem: where downloads and plain copies are written."""

    def __init__(self, folder: Path, store_dir: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        same = folder.stat().st_dev == store_dir.stat().st_dev
        log(f"copies go to {folder}" + ("" if same else f", NOT on the filesystem of {store_dir}"))

    @contextmanager
    def new_file(self) -> Iterator[int]:
        """A new, empty file's descriptor; the file is removed afterwards, untimed."""
        path = self.folder / f"copy-{secrets.token_hex(8)}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            yield fd
        finally:
            os.close(fd)
            path.unlink()


class FilesystemPlain:
    """The store's own filesystem: a copy in, a copy (or a bare read) out, 1 MiB at a time."""

    def __init__(self, root: Path, scratch: Path) -> None:
        self.root = root
        self.scratch = scratch
        scratch.mkdir(parents=True, exist_ok=True)

    def object_path(self, sha256: str) -> Path | None:
        return self.root / object_key(sha256)

    def upload(self, source: Path) -> float:
        target = self.scratch / f"plain-{secrets.token_hex(8)}"
        started = time.perf_counter()
        with open(source, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
            dst.flush()
            os.fsync(dst.fileno())  # the store fsyncs every upload too
        elapsed = time.perf_counter() - started
        target.unlink()
        return elapsed

    def download(self, sha256: str, sink: int, *, sync: bool) -> tuple[float, int]:
        """The stored object into ``sink``: with ``sync`` a copy (fsync-ed), else a read."""
        started = time.perf_counter()
        with open(self.root / object_key(sha256), "rb", buffering=0) as fh:
            count = drain(fh, sink)  # type: ignore[arg-type]
        if sync:
            os.fsync(sink)
        return time.perf_counter() - started, count


class S3Plain:
    """The same bucket through the minio client, with the store's part size."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str) -> None:
        import minio

        from content_store.s3 import PART_SIZE

        self.part_size = PART_SIZE
        self.client = minio.Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=False, region="us-east-1"
        )
        self.bucket = bucket
        self.data_dir: Path | None = None  # where rclone keeps the objects, if known

    def object_path(self, sha256: str) -> Path | None:
        if self.data_dir is None:
            return None
        path = self.data_dir / self.bucket / object_key(sha256)
        return path if path.is_file() else None

    def upload(self, source: Path) -> float:
        key = f"bench-plain/{secrets.token_hex(8)}"
        started = time.perf_counter()
        self.client.fput_object(
            self.bucket, key, str(source), part_size=self.part_size, num_parallel_uploads=1
        )
        elapsed = time.perf_counter() - started
        self.client.remove_object(self.bucket, key)
        return elapsed

    def download(self, sha256: str, sink: int, *, sync: bool) -> tuple[float, int]:
        """``get_object`` into ``sink``: with ``sync`` a copy (fsync-ed), else a read."""
        started = time.perf_counter()
        response = self.client.get_object(self.bucket, object_key(sha256))
        try:
            count = drain(response, sink)  # type: ignore[arg-type]
        finally:
            response.close()
            response.release_conn()
        if sync:
            os.fsync(sink)
        return time.perf_counter() - started, count


def _serve_raw(listener: socket.socket, root: str) -> None:
    """A bare HTTP server: no framework, the request path names a file, one sendfile."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler
    while True:
        conn, _ = listener.accept()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                request += chunk
            key = request.split(b" ", 2)[1].decode().lstrip("/")
            with open(os.path.join(root, key), "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                conn.sendall(
                    f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n"
                    "Content-Type: video/mp4\r\nConnection: close\r\n\r\n".encode()
                )
                conn.sendfile(fh)


class RawHttp:
    """The transport's ceiling: the stored object over loopback HTTP without the site."""

    def __init__(self, root: Path) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        context = multiprocessing.get_context("fork")
        self.process = context.Process(
            target=_serve_raw, args=(self.listener, str(root)), daemon=True
        )

    def start(self) -> RawHttp:
        self.process.start()
        return self

    def stop(self) -> None:
        if self.process.pid is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(5)
        self.listener.close()


# --- measuring ----------------------------------------------------------------------


@dataclass
class Series:
    """One kind of transfer over the runs: seconds, and what the site process did."""

    seconds: list[float] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)

    def add(self, seconds: float, reading: Reading | None = None) -> None:
        self.seconds.append(seconds)
        if reading is not None:
            self.readings.append(reading)

    def mbps(self, size: int) -> float:
        return size / MiB / statistics.median(self.seconds)

    def peak_mb(self) -> float:
        return max(reading.peak_mb for reading in self.readings)

    def cpu_s(self) -> float:
        return statistics.median(reading.cpu_s for reading in self.readings)

    def growth_during_mb(self) -> float:
        """The largest rise of RSS within one transfer over the RSS at its start."""
        return max(reading.peak_mb - reading.before_mb for reading in self.readings)


@dataclass
class Target:
    """A site process that downloads are measured on, with a signed-in client."""

    label: str
    site: Site
    client: Client


@dataclass
class Outcome:
    store: str
    describe: str
    size: int
    uploader: str
    downloaders: list[str]
    caches: list[str] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)
    #: "label/cache" -> plain copy seconds over site seconds, one per adjacent pair.
    pair_ratios: dict[str, list[float]] = field(default_factory=dict)
    idle_rss: dict[str, float] = field(default_factory=dict)
    verified: dict[str, bool] = field(default_factory=dict)

    def get(self, name: str) -> Series:
        return self.series.setdefault(name, Series())

    def download_ratio(self, label: str, cache: str) -> float:
        """The site's download over the plain copy's: the median of the ratios of
        adjacent pairs, so a slow spell of the machine (another process, the
        disk flushing) weighs on both members of a pair rather than on one side."""
        return statistics.median(self.pair_ratios[f"{label}/{cache}"])


def settle() -> None:
    """Untimed: write back every dirty page, so no transfer pays for the
    previous one's writes (a 500 MB upload leaves that much to flush)."""
    os.sync()


class Measurement:
    """The runs on one store. Site and plain copy alternate: site first in odd
    runs, and within a run each download pair swaps the order again."""

    def __init__(
        self,
        outcome: Outcome,
        plain: FilesystemPlain | S3Plain,
        uploader: Target,
        downloaders: list[Target],
        source: Path,
        sink: int,
        scratch: Scratch,
        raw: RawHttp | None = None,
        download_pairs: int = 1,
    ) -> None:
        self.download_pairs = download_pairs
        self.outcome = outcome
        self.plain = plain
        self.uploader = uploader
        self.downloaders = downloaders
        self.source = source
        self.sink = sink  # /dev/null: the raw read, the warm-up and the check
        self.scratch = scratch  # new files: the site's downloads and the plain copies
        self.raw = raw
        self.file_id = 0
        self.sha256 = ""

    def warm_up(self, warmup: Path) -> None:
        """Every code path once, so first-request imports do not count as growth."""
        _, file_id = self.uploader.client.upload(warmup, "Прогрев")
        for target in self.downloaders:
            with self.scratch.new_file() as fd:
                target.client.download(f"/files/{file_id}/download", fd, sync=True)
        for target in [self.uploader, *self.downloaders]:
            self.outcome.idle_rss[target.label] = rss_mb(target.site.worker_pid)

    def site_upload(self, run: int) -> None:
        settle()
        with ProcessWatch(self.uploader.site.worker_pid) as watch:
            seconds, self.file_id = self.uploader.client.upload(
                self.source, f"Бенчмарк хранилища, прогон {run + 1}"
            )
        self.outcome.get("upload/site").add(seconds, watch.reading)

    def plain_upload(self, run: int) -> None:
        settle()
        self.outcome.get("upload/plain").add(self.plain.upload(self.source))

    def site_download(self, cache: str) -> dict[str, float]:
        """Through each site into a new file on the store's filesystem, fsync-ed."""
        timed: dict[str, float] = {}
        for target in self.downloaders:
            self._prepare(cache)
            with self.scratch.new_file() as fd, ProcessWatch(target.site.worker_pid) as watch:
                seconds, count = target.client.download(
                    f"/files/{self.file_id}/download", fd, sync=True
                )
            self._check(target.label, count)
            self.outcome.get(f"download/{target.label}/{cache}").add(seconds, watch.reading)
            timed[target.label] = seconds
        return timed

    def plain_download(self, cache: str) -> float:
        """The baseline: the stored object copied into a new file beside them, fsync-ed,
        by this process, the one that receives the site's downloads."""
        self._prepare(cache)
        with self.scratch.new_file() as fd:
            seconds, count = self.plain.download(self.sha256, fd, sync=True)
        self._check("plain copy", count)
        self.outcome.get(f"download/copy/{cache}").add(seconds)
        return seconds

    def download_pair(self, cache: str, site_first: bool) -> None:
        """One site download (per site) next to one plain copy, and their ratios."""
        if site_first:
            site = self.site_download(cache)
            plain = self.plain_download(cache)
        else:
            plain = self.plain_download(cache)
            site = self.site_download(cache)
        for label, seconds in site.items():
            self.outcome.pair_ratios.setdefault(f"{label}/{cache}", []).append(plain / seconds)

    def raw_read(self, cache: str) -> None:
        """A ceiling: the stored object read into /dev/null, nothing written."""
        self._prepare(cache)
        seconds, count = self.plain.download(self.sha256, self.sink, sync=False)
        self._check("raw read", count)
        self.outcome.get(f"download/raw-read/{cache}").add(seconds)

    def raw_http(self) -> None:
        """A ceiling: the bare HTTP server, its download written like the site's."""
        assert self.raw is not None
        settle()
        with self.scratch.new_file() as fd:
            seconds, count = Client(self.raw.port).download(
                f"/{object_key(self.sha256)}", fd, sync=True
            )
        self._check("raw HTTP", count)
        self.outcome.get("download/raw-http/warm").add(seconds)

    def _prepare(self, cache: str) -> None:
        settle()
        path = self.plain.object_path(self.sha256)
        if cache == "cold" and path is not None:
            evict(path)

    def _check(self, label: str, count: int) -> None:
        if count != self.outcome.size:
            raise RuntimeError(f"{label} download gave {count} of {self.outcome.size} bytes")

    def run(self, run: int, repeats: int) -> None:
        self.sha256 = renew_source(self.source)
        self._pair(run, self.site_upload, self.plain_upload)
        # Cold runs need the object's file, to drop it from the page cache first.
        cold = self.plain.object_path(self.sha256) is not None
        self.outcome.caches = ["warm", "cold"] if cold else ["warm"]
        for cache in self.outcome.caches:
            for pair in range(self.download_pairs):
                self.download_pair(cache, site_first=(run + pair) % 2 == 0)
            self.raw_read(cache)
            if cache == "warm" and self.raw is not None:
                self.raw_http()
        last = ", ".join(
            f"{name} {series.seconds[-1]:.2f}" for name, series in self.outcome.series.items()
        )
        log(f"  [{self.outcome.store}] run {run + 1}/{repeats}, seconds: {last}")

    @staticmethod
    def _pair(run: int, site: Callable[[int], None], plain: Callable[[int], None]) -> None:
        for step in (site, plain) if run % 2 == 0 else (plain, site):
            step(run)

    def verify(self) -> None:
        """One more download from each site, hashed and compared with the source."""
        for target in self.downloaders:
            hasher = hashlib.sha256()
            target.client.download(f"/files/{self.file_id}/download", self.sink, hasher)
            self.outcome.verified[target.label] = hasher.hexdigest() == self.sha256


def measure_store(
    outcome: Outcome,
    plain: FilesystemPlain | S3Plain,
    uploader: Target,
    downloaders: list[Target],
    source: Path,
    warmup: Path,
    repeats: int,
    scratch: Scratch,
    raw: RawHttp | None = None,
    download_pairs: int = 1,
) -> Outcome:
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        measurement = Measurement(
            outcome, plain, uploader, downloaders, source, sink, scratch, raw, download_pairs
        )
        measurement.warm_up(warmup)
        for run in range(repeats):
            measurement.run(run, repeats)
        measurement.verify()
    finally:
        os.close(sink)
    return outcome


# --- reporting ----------------------------------------------------------------------


def _row(
    name: str, site: Series, plain: Series, size: int, idle: float, ratio: float | None = None
) -> tuple[str, float, float, float]:
    """Print one table row; (name, site MB/s, plain MB/s, growth over idle MB).

    ``ratio`` (downloads: the median over adjacent pairs) replaces the ratio of
    the two medians."""
    site_mbps, plain_mbps = site.mbps(size), plain.mbps(size)
    ratio = site_mbps / plain_mbps if ratio is None else ratio
    growth = site.peak_mb() - idle
    print(
        f"{name:<32}{site_mbps:>9.1f}{plain_mbps:>9.1f}{ratio:>7.2f}"
        f"{site.cpu_s():>7.2f}{idle:>7.1f}{site.peak_mb():>7.1f}{growth:>+8.1f}"
        f"{site.growth_during_mb():>+8.1f}"
    )
    return name, site_mbps, plain_mbps, growth


def _ceiling_row(name: str, mbps: float, shares: dict[str, float], note: str) -> None:
    """Print one ceiling: its MB/s and each site's download as a share of it."""
    reached = ", ".join(f"{label} {share:.2f}" for label, share in shares.items())
    print(f"{name:<32}{mbps:>9.1f}   {note}; reached: {reached}")


def report(outcome: Outcome) -> dict[str, object]:
    """Print the table for one store; return its figures for the key=value line."""
    size = outcome.size
    runs = len(outcome.get("upload/site").seconds)
    print()
    print(f"== {outcome.store} store, {outcome.describe}; {size / MiB:.0f} MB file, "
          f"medians of {runs} runs")  # fmt: skip
    print(f"{'':<32}{'site':>9}{'plain':>9}{'':>7}{'worker':>7}{'worker RSS, MB':>30}")
    print(f"{'transfer':<32}{'MB/s':>9}{'copy':>9}{'ratio':>7}{'CPU s':>7}"
          f"{'idle':>7}{'peak':>7}{'+idle':>8}{'+during':>8}")  # fmt: skip
    figures: dict[str, object] = {}
    idle = outcome.idle_rss[outcome.uploader]
    _, site, plain, growth = _row(
        "upload", outcome.get("upload/site"), outcome.get("upload/plain"), size, idle
    )
    figures.update(
        upload_site_mbps=round(site, 1),
        upload_plain_mbps=round(plain, 1),
        upload_ratio=round(site / plain, 3),
        cpu_upload_s=round(outcome.get("upload/site").cpu_s(), 2),
        rss_idle_mb=round(idle, 1),
        rss_growth_upload_mb=round(growth, 1),
    )
    single = len(outcome.downloaders) == 1

    def base(label: str, cache: str) -> str:
        return "download" + ("" if single else f"_{label}") + ("_cold" if cache == "cold" else "")

    for label in outcome.downloaders:
        for cache in outcome.caches:
            series = outcome.get(f"download/{label}/{cache}")
            name = "download" + ("" if single else f" ({label})") + f", {cache} cache"
            ratio = outcome.download_ratio(label, cache)
            _, site, plain, growth = _row(
                name,
                series,
                outcome.get(f"download/copy/{cache}"),
                size,
                outcome.idle_rss[label],
                ratio,
            )
            figures.update(
                {
                    f"{base(label, cache)}_site_mbps": round(site, 1),
                    f"{base(label, cache)}_plain_mbps": round(plain, 1),
                    f"{base(label, cache)}_ratio": round(ratio, 3),
                    f"{base(label, cache)}_pairs": len(outcome.pair_ratios[f"{label}/{cache}"]),
                    f"cpu_{base(label, cache)}_s": round(series.cpu_s(), 2),
                    f"rss_growth_{base(label, cache)}_mb": round(growth, 1),
                }
            )
    print("ceilings, no site (secondary; the goal's baseline is the plain copy above):")
    read_note = "get_object" if outcome.store == "S3" else "object read"
    read_note += " into /dev/null, no write"
    for cache in outcome.caches:
        raw = outcome.get(f"download/raw-read/{cache}").mbps(size)
        shares = {
            label: outcome.get(f"download/{label}/{cache}").mbps(size) / raw
            for label in outcome.downloaders
        }
        _ceiling_row(f"  raw read, {cache} cache", raw, shares, read_note)
        suffix = "_cold" if cache == "cold" else ""
        figures[f"download{suffix}_raw_read_mbps"] = round(raw, 1)
        for label, share in shares.items():
            figures[f"{base(label, cache)}_ratio_vs_raw_read"] = round(share, 3)
    if "download/raw-http/warm" in outcome.series:
        raw = outcome.get("download/raw-http/warm").mbps(size)
        shares = {
            label: outcome.get(f"download/{label}/warm").mbps(size) / raw
            for label in outcome.downloaders
        }
        _ceiling_row(
            "  raw HTTP, warm cache",
            raw,
            shares,
            "bare sendfile server, client writes a file",
        )
        figures["download_raw_http_mbps"] = round(raw, 1)
        for label, share in shares.items():
            figures[f"{base(label, 'warm')}_ratio_vs_raw_http"] = round(share, 3)
    print("seconds per transfer, in order (site and plain copy alternate which goes first):")
    for name, series in outcome.series.items():
        print(f"  {name:<30} " + " ".join(f"{value:.3f}" for value in series.seconds))
    print("download ratio of each adjacent pair (plain copy seconds / site seconds):")
    for key, ratios in outcome.pair_ratios.items():
        quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        print(
            f"  {key:<30} median {statistics.median(ratios):.3f}, quartiles "
            f"{quartiles[0]:.3f}..{quartiles[2]:.3f}, range {min(ratios):.3f}..{max(ratios):.3f}"
        )
    for label in outcome.downloaders:
        figures["sha256_ok" + ("" if single else f"_{label}")] = outcome.verified.get(label, False)
    return figures


def memory_growths(figures: dict[str, object], prefix: str = "") -> list[float]:
    return [
        float(value)  # type: ignore[arg-type]
        for key, value in figures.items()
        if key.startswith(f"{prefix}rss_growth_")
    ]


# --- putting it together ---------------------------------------------------------


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl+C, so the finally blocks stop the servers."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def site_env(
    instance: Path, storage_url: str, size: int, extra: list[str] | None = None
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "STORAGE_URL", "SEARCH_INDEX_DIR", "APP_ENV"}
    }
    tmp = instance / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "APP_ENV": "development",
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
            "STORAGE_URL": storage_url,
            "SEARCH_INDEX_DIR": str(instance / "search-index"),
            "SECRET_KEY": "bench-" + secrets.token_hex(16),
            "UPLOAD_MAX_MB": str(size // MiB + 100),
            "TMPDIR": str(tmp),  # werkzeug's and the S3 store's spools land here
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(item.split("=", 1) for item in extra or [])
    return env


def prepare_instance(env: dict[str, str]) -> None:
    flask_cli(env, "db", "upgrade")
    flask_cli(
        env,
        "create-user",
        EMAIL,
        "--role",
        "methodist",
        "--password",
        PASSWORD,
        "--name",
        FULL_NAME,
    )


def describe_server(args: argparse.Namespace) -> str:
    if args.server == "gunicorn" and args.threads == 1:
        text = "site under gunicorn (1 sync worker)"
    elif args.server == "gunicorn":
        text = f"site under gunicorn (1 worker, {args.threads} threads)"
    else:
        text = "site under flask run (threaded)"
    return " ".join([text, *args.site_env])


def run_filesystem(args: argparse.Namespace, workdir: Path, source: Path, warmup: Path) -> Outcome:
    instance = workdir / "fs-instance"
    storage = instance / "storage"
    env = site_env(instance, f"file://{storage}", source.stat().st_size, args.site_env)
    prepare_instance(env)
    site = Site("fs", env, workdir, server=args.server, threads=args.threads)
    raw = RawHttp(storage)
    try:
        site.start()
        raw.start()
        client = Client(site.port)
        client.login(EMAIL, PASSWORD)
        target = Target("site", site, client)
        log(f"filesystem store {storage}; site worker pid {site.worker_pid}, port {site.port}")
        outcome = Outcome(
            "filesystem", describe_server(args), source.stat().st_size, "site", ["site"]
        )
        storage.mkdir(parents=True, exist_ok=True)
        return measure_store(
            outcome,
            FilesystemPlain(storage, instance / "plain"),
            target,
            [target],
            source,
            warmup,
            args.repeats,
            Scratch(instance / "copies", storage),
            raw,
            args.download_pairs,
        )
    finally:
        raw.stop()
        site.stop()


def run_s3(args: argparse.Namespace, workdir: Path, source: Path, warmup: Path) -> Outcome:
    sys.path.insert(0, str(ROOT))
    from tests.support.s3server import S3Server

    server = S3Server(workdir / "s3")
    sites: list[Site] = []
    try:
        server.start()
        instance = workdir / "s3-instance"
        env = site_env(instance, server.url, source.stat().st_size, args.site_env)
        prepare_instance(env)
        # S3_DOWNLOAD_MODE has no environment variable: the factory takes it as an override.
        stream = Site(
            "s3-stream",
            env,
            workdir,
            app_spec="app:create_app(S3_DOWNLOAD_MODE='stream')",
            server=args.server,
            threads=args.threads,
        )
        redirect = Site("s3-redirect", env, workdir, server=args.server, threads=args.threads)
        sites = [stream, redirect]
        targets = []
        for site, label in ((stream, "stream"), (redirect, "redirect")):
            site.start()
            client = Client(site.port)
            client.login(EMAIL, PASSWORD)
            targets.append(Target(label, site, client))
        log(
            f"S3 store on {server.endpoint} (rclone serve s3); sites {stream.port}, {redirect.port}"
        )
        plain = S3Plain(server.endpoint, server.access_key, server.secret_key, server.bucket)
        plain.data_dir = server.data_dir
        outcome = Outcome(
            "S3", describe_server(args), source.stat().st_size, "stream", ["stream", "redirect"]
        )
        scratch = Scratch(instance / "copies", server.data_dir)
        return measure_store(
            outcome,
            plain,
            targets[0],
            targets,
            source,
            warmup,
            args.repeats,
            scratch,
            download_pairs=args.download_pairs,
        )
    finally:
        for site in sites:
            site.stop()
        server.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a 64 MB file")
    size.add_argument("--size-mb", type=int, default=500, help="file size in MB (default 500)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs, each with a new upload (default 3)"
    )
    parser.add_argument(
        "--download-pairs",
        type=int,
        default=7,
        help="site download + plain copy pairs per run and cache state (default 7)",
    )
    parser.add_argument("--s3", action="store_true", help="also measure the S3 store (rclone)")
    parser.add_argument("--server", choices=("gunicorn", "flask"), default="gunicorn")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn worker threads")
    parser.add_argument(
        "--site-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra environment variable for the site processes (repeatable)",
    )
    parser.add_argument("--workdir", type=Path, help="where temporary files go (default: TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.size_mb = 64
    if args.size_mb < 2 or args.repeats < 1 or args.download_pairs < 1:
        parser.error("--size-mb must be at least 2, --repeats and --download-pairs at least 1")
    if any("=" not in item for item in args.site_env):
        parser.error("--site-env takes NAME=VALUE")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-storage-", dir=args.workdir))
    outcomes: list[Outcome] = []
    try:
        with terminated_as_interrupt():
            source = workdir / "source.mp4"
            warmup = workdir / "warmup.mp4"
            log(f"writing {args.size_mb} MB of random bytes to {source}")
            make_source(source, args.size_mb * MiB)
            make_source(warmup, MiB)
            outcomes.append(run_filesystem(args, workdir, source, warmup))
            if args.s3:
                outcomes.append(run_s3(args, workdir, source, warmup))
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    pairs: dict[str, object] = {"size_mb": args.size_mb, "server": args.server}
    for outcome in outcomes:
        prefix = "" if outcome.store == "filesystem" else f"{outcome.store.lower()}_"
        figures = report(outcome)
        pairs.update({prefix + key: value for key, value in figures.items()})
    # The goal, on the primary case: the filesystem store, warm cache (as right after the
    # upload), the site's download over a plain copy of the stored object on the same
    # filesystem (both read the bytes once, write them once into a new file and fsync).
    pairs["goal_download_ratio_ok"] = float(pairs["download_ratio"]) >= GOAL_DOWNLOAD_RATIO  # type: ignore[arg-type]
    if "download_cold_ratio" in pairs:
        pairs["goal_download_ratio_cold_ok"] = (
            float(pairs["download_cold_ratio"]) >= GOAL_DOWNLOAD_RATIO  # type: ignore[arg-type]
        )
    pairs["goal_memory_ok"] = max(memory_growths(pairs)) < GOAL_MEMORY_MB
    if args.s3:
        pairs["s3_goal_memory_ok"] = max(memory_growths(pairs, "s3_")) < GOAL_MEMORY_MB
    print()
    print(" ".join(f"{key}={value}" for key, value in pairs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
