"""requirements.txt (pinned, what .ci/run installs) and pyproject.toml (what `pip install .` needs)
declare the same runtime set, and the README says why each one is there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    name = re.split(r"[<>=!~\[; ]", spec.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements() -> set[str]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return {_name(line) for line in lines if line.strip() and not line.lstrip().startswith("#")}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_pyproject_and_requirements_list_the_same_runtime_set() -> None:
    declared = {_name(d) for d in _pyproject()["dependencies"]}
    pinned = _requirements()
    assert declared == pinned, (
        f"only in pyproject: {sorted(declared - pinned)}; only in requirements.txt: {sorted(pinned - declared)}"
    )


def test_the_packages_the_product_is_specified_with_are_runtime_dependencies() -> None:
    declared = {_name(d) for d in _pyproject()["dependencies"]}
    assert {"opencv-python-headless", "ffmpeg-python", "imagehash", "exifread", "streamlit"} <= declared
    assert "opencv-python" not in declared  # the GUI build pulls X libraries onto a server


def test_benchmark_only_peers_are_an_extra_not_a_runtime_dependency() -> None:
    extras = {_name(d) for deps in _pyproject().get("optional-dependencies", {}).values() for d in deps}
    assert extras and not extras & _requirements()


def test_the_readme_says_why_each_runtime_dependency_is_there() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Dependencies, and why", 1)[1].split("\n## ", 1)[0]
    named = {_name(m) for m in re.findall(r"`([A-Za-z0-9_.\-]+)(?:\[[a-z]+\])?`", table)}
    missing = _requirements() - named
    assert not missing, f"README's dependency table does not explain: {sorted(missing)}"
