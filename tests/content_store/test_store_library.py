"""The package as a library: its imports, its URL dispatch, its helpers."""

from __future__ import annotations

import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from content_store import FilesystemStore, content_disposition, open_store

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_library_pulls_in_neither_flask_nor_the_app() -> None:
    code = (
        "import sys, content_store, content_store.filesystem, content_store.s3\n"
        "import minio\n"
        "assert hasattr(minio, 'Minio'), 'content_store.s3 must not shadow minio'\n"
        "forbidden = ('flask', 'werkzeug', 'app', 'search_index')\n"
        "print(','.join(m for m in forbidden if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_a_file_url_opens_a_filesystem_store_without_loading_minio(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from content_store import open_store\n"
        f"open_store({(tmp_path / 'objects').as_uri()!r}).check()\n"
        "print('minio' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "url",
    ["ftp://host/files", "/srv/files", "", "S4://key:secret@host/bucket", "http://host/bucket"],
)
def test_unknown_schemes_are_refused_with_a_clear_message(url: str) -> None:
    with pytest.raises(ValueError, match=r"unsupported storage URL scheme .*file:///.*s3://"):
        open_store(url)


def test_max_size_reaches_the_store(tmp_path: Path) -> None:
    with open_store(tmp_path.as_uri(), max_size=1024) as store:
        assert isinstance(store, FilesystemStore)
        assert store.max_size == 1024


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("report.pdf", "report.pdf"),
        ("Программа курса.pdf", "Programma kursa.pdf"),
        ("Ёлка и щука.docx", "Elka i shchuka.docx"),
        ("日本語.txt", "download.txt"),
        ("", "download"),
        ('a"b\\c/d.txt', "a_b_c_d.txt"),
        ("evil\r\nSet-Cookie: x=1.txt", "evilSet-Cookie_ x_1.txt"),
    ],
)
def test_content_disposition(name: str, fallback: str) -> None:
    value = content_disposition(name)
    assert value.startswith(f"attachment; filename=\"{fallback}\"; filename*=UTF-8''")
    assert "\r" not in value and "\n" not in value
    encoded = value.split("filename*=UTF-8''", 1)[1]
    assert all(ch.isascii() and ch not in ' ";\\' for ch in encoded)
    decoded = urllib.parse.unquote(encoded)
    assert decoded == (name.replace("\r\n", "").replace("/", "_").replace("\\", "_") or "download")


def test_content_disposition_inline() -> None:
    assert content_disposition("a.pdf", "inline").startswith('inline; filename="a.pdf"')
