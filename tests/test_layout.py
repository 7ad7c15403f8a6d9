"""The plain libraries stay plain: no Flask, no app, not each other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("content_store", ("flask", "app", "search_index")),
        ("search_index", ("flask", "app", "content_store")),
    ],
)
def test_library_imports_neither_flask_nor_app(package, forbidden):
    code = (
        "import sys, pkgutil, importlib\n"
        f"import {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = [m for m in {forbidden!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
