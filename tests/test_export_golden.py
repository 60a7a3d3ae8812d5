"""Golden structure of every export format on a generated clip (structure, not bytes).

Regenerate after an intended change with ``VERIFY_UPDATE_GOLDEN=1 pytest tests/test_export_golden.py``
and review the diff of tests/golden/export_structure.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests import test_report_fixtures as fx
from tests.test_export import parse
from verify.export import export
from verify.report import Report

pytestmark = pytest.mark.slow
GOLDEN = Path(__file__).parent / "golden" / "export_structure.json"


def html_structure(text: str) -> dict[str, Any]:
    doc = parse(text)
    sections: list[dict[str, Any]] = []
    for tag, attrs in doc.tags:
        if tag == "section":
            sections.append({"id": attrs.get("id"), "img": 0, "table": 0})
        elif sections and tag in ("img", "table"):
            sections[-1][tag] += 1
    headings = re.findall(r"<h([1-4])>(.*?)</h\1>", text)
    return {"sections": sections, "headings": [f"h{n} {t}" for n, t in headings],
            "print_css": "@media print" in text, "csp": "default-src 'none'" in text}  # fmt: skip


def md_structure(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"headings": [], "images": {}, "tables": 0}
    current = ""
    for line in text.splitlines():
        if line.startswith("#"):
            current = line
            out["headings"].append(line)
        out["images"][current] = out["images"].get(current, 0) + len(re.findall(r"!\[[^\]]*\]\(", line))
        if re.fullmatch(r"\|(---\|)+", line):
            out["tables"] += 1
    out["images"] = {k: v for k, v in out["images"].items() if v}
    return out


def skeleton(value: Any, depth: int = 0) -> Any:
    """Keys and value types, lists by their first item."""
    if isinstance(value, dict):
        return {k: skeleton(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [skeleton(value[0], depth + 1)] if value else []
    return type(value).__name__


def json_structure(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    probe = data.pop("probe")
    data.pop("versions")  # which packages are installed varies
    for sig in data["signals"]:  # what the probe finds is the probe's business; keep the record's shape
        sig["fields"] = {}
    return {"skeleton": skeleton(data), "probe_has_summary": "summary" in probe,
            "custody_steps": [e["step"] for e in data["custody"]]}  # fmt: skip


def pdf_structure(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    out: dict[str, Any] = {"images": raw.count(b"/Subtype /Image")}
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout  # fmt: skip
        wanted = ["File", "Verdict and notes", "Provenance signals", "Keyframes", "Matches",
                  "Match 1: Agency clip, 2019", "Metadata (as the file states it)", "Tools and settings",
                  "Chain of custody (UTC)"]  # fmt: skip
        out["headings"] = [h for h in wanted if re.search(rf"^\s*{re.escape(h)}\s*$", text, re.M)]
    return out


def structures(report: Report, folder: Path) -> dict[str, Any]:
    """Structures, with the keyframe count (chosen by verify.shots) written as ``K``."""
    got = {
        "html": html_structure(export(report, "html", folder, name="r.html").read_text(encoding="utf-8")),
        "md": md_structure(export(report, "md", folder, name="r.md").read_text(encoding="utf-8")),
        "json": json_structure(json.loads(export(report, "json", folder, name="r.json").read_text())),
        "pdf": pdf_structure(export(report, "pdf", folder, name="r.pdf")),
    }
    k = len(report.keyframes)
    assert k >= 1
    for section in got["html"]["sections"]:
        if section["id"] == "keyframes" and section["img"] == k:
            section["img"] = "K"
    if got["md"]["images"].get("## Keyframes") == k:
        got["md"]["images"]["## Keyframes"] = "K"
    got["pdf"]["images"] = "K+6" if got["pdf"]["images"] == k + 6 else got["pdf"]["images"]
    return got


@pytest.fixture
def plain_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return fx.plain_report(tmp_path_factory)


def test_structure_matches_golden(plain_report: Report, tmp_path: Path) -> None:
    report = Report.from_json(
        plain_report.to_json(), images=plain_report.images
    )  # a private copy: custody grows
    got = structures(report, tmp_path)
    if os.environ.get("VERIFY_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    if "headings" not in got["pdf"]:
        want["pdf"].pop("headings", None)
    for fmt in ("html", "md", "json", "pdf"):
        assert got[fmt] == want[fmt], fmt
