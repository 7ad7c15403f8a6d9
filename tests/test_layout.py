"""The plain libraries stay plain: no Flask, no app, not each other."""

from __future__ import annotations

import ast
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


# Each domain package and the app packages it may import. The order is the one of
# DESIGN.md: core ← accounts ← materials ← search; materials ← courses ← training ← reports;
# home (the landing pages) and demo (seeding) sit on top. ``permissions`` is the one
# place that answers "may I": every domain asks it, and it reads only models.
_BASE = {"core", "extensions"}
ALLOWED = {
    "core": _BASE,
    "accounts": _BASE | {"permissions", "accounts"},
    "materials": _BASE | {"permissions", "accounts", "materials"},
    "search": _BASE | {"permissions", "accounts", "materials", "search"},
    "courses": _BASE | {"permissions", "accounts", "materials", "courses"},
    "training": _BASE | {"permissions", "accounts", "materials", "courses", "training"},
    "reports": _BASE | {"permissions", "accounts", "materials", "courses", "training", "reports"},
    "home": _BASE
    | {"permissions", "accounts", "materials", "search", "courses", "training", "reports", "home"},
    # The audit log records changes to people and documents of every domain.
    "audit": _BASE
    | {"permissions", "accounts", "materials", "search", "courses", "training", "reports", "audit"},
}


def _app_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "app":
                found += [(node.lineno, f"app.{alias.name}") for alias in node.names]
            elif node.module.startswith("app."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("app.")]
    return found


def _violations(domain: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / "app" / domain).rglob("*.py")):
        for line, module in _app_imports(path):
            target = module.split(".")[1]
            if domain == "permissions":
                ok = target in _BASE | {"permissions"} or module.endswith(".models")
            else:
                ok = target in ALLOWED[domain]
            if not ok:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize("domain", [*ALLOWED, "permissions"])
def test_domains_import_in_one_direction(domain):
    assert _violations(domain) == []


def test_direction_check_sees_a_wrong_import(tmp_path, monkeypatch):
    """The guard itself: a materials module importing courses is reported."""
    package = tmp_path / "app" / "materials"
    package.mkdir(parents=True)
    (package / "bad.py").write_text("from app.courses.models import Course\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _violations("materials") == ["app/materials/bad.py:1 imports app.courses.models"]


def test_every_domain_package_is_checked():
    packages = {p.name for p in (ROOT / "app").iterdir() if (p / "__init__.py").exists()}
    assert packages - {"demo"} == set(ALLOWED) | {"permissions"}
