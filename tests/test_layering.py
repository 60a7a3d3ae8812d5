"""Dependencies point one way: ui -> verify, verify/cli -> verify; the library pulls in no front end."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import verify

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "verify"
FRONT_ENDS = {"click", "streamlit"}


def library_modules() -> list[str]:
    names = ["verify"]
    for info in pkgutil.walk_packages(verify.__path__, "verify."):
        if info.name == "verify.cli" or info.name.startswith("verify.cli.") or info.name == "verify.__main__":
            continue
        names.append(info.name)
    return names


@pytest.mark.slow
def test_importing_the_library_loads_no_front_end() -> None:
    modules = library_modules()
    assert "verify.frames" in modules and "verify.shots" in modules
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'streamlit', 'ui', 'app'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def _dynamic_import(node: ast.Call) -> bool:
    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
    first = node.args[0] if node.args else None
    return (
        name in ("import_module", "__import__")
        and isinstance(first, ast.Constant)
        and isinstance(first.value, str)
    )


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and _dynamic_import(node):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def test_no_library_file_imports_a_front_end_or_the_ui() -> None:
    offenders = {}
    files = [p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts]
    assert PACKAGE / "shots.py" in files
    for path in files:
        bad = imported_roots(path) & (FRONT_ENDS | {"ui", "app"})
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_cli_imports_no_ui() -> None:
    for path in (PACKAGE / "cli").rglob("*.py"):
        assert not imported_roots(path) & {"streamlit", "ui", "app"}, path


def test_the_scanner_sees_imports() -> None:
    """Guard against a scanner that can never fail."""
    sample = PACKAGE / "cli" / "__init__.py"
    assert "click" in imported_roots(sample)
