"""The text on screen in the Analysis, the report (schema v4) and every export format."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from tests import test_report_fixtures as fx
from tests.counting import Reads
from tests.test_export import parse
from verify.analysis import Analysis, analyse, ocr
from verify.export import export
from verify.ocr import Lead, OcrResult, TextItem
from verify.report import SCHEMA_VERSION, Report, build_report

HOSTILE = '<script>alert("ocr")</script> [x](javascript:alert(1)) **bold** \x1b[31m'


def _text() -> OcrResult:
    items = (
        TextItem("@storm_watcher", 0.5, 2.5, (0.03, 0.86, 0.4, 0.95), 0.97, 3),
        TextItem(HOSTILE, 1.5, 1.5, (0.03, 0.05, 0.9, 0.14), 0.81, 1, ("variant",)),
    )
    leads = (Lead("handle", "@storm_watcher", "@storm_watcher", 0.5, 2.5),)
    return OcrResult(engine="test-engine 1", languages=("Latin",), frames_read=3, times=(0.5, 1.5, 2.5),
                     items=items, leads=leads, seconds=0.3)  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    clip = fx.hostile_clip(tmp_path_factory.mktemp("t") / "clip.mp4")
    return build_report(dataclasses.replace(analyse(clip), text=_text()))


def test_report_round_trips_its_text(report: Report) -> None:
    assert report.schema_version == SCHEMA_VERSION == 4
    back = Report.from_json(report.to_json(), images=report.images)
    assert back == report and back.text == _text()
    assert json.loads(report.to_json())["text"]["items"][1]["text"] == HOSTILE  # stored verbatim


def test_a_v3_report_loads_without_text(report: Report) -> None:
    data = report.to_dict()
    data.pop("text")
    data["schema_version"] = 3
    old = Report.from_dict(data, images=report.images)
    assert old.text is None and old.schema_version == SCHEMA_VERSION
    assert old.keyframes == report.keyframes and old.signals == report.signals


def test_analysis_round_trips_its_text(report: Report, tmp_path: Path) -> None:
    a = dataclasses.replace(analyse(fx.hostile_clip(tmp_path / "c.mp4")), text=_text())
    back = Analysis.from_dict(json.loads(json.dumps(a.to_dict())))
    assert back.text == _text()
    plain = a.to_dict(images=False)
    plain.pop("text")  # an analysis saved before the field existed
    assert Analysis.from_dict(plain).text is None


def test_every_format_shows_the_text_escaped(report: Report, tmp_path: Path) -> None:
    md = export(report, "md", tmp_path).read_text(encoding="utf-8")
    section = md.split("## Text on screen", 1)[1].split("## Matches", 1)[0]
    assert "@storm\\_watcher" in section and "0\\:00\\.5–0\\:02\\.5" in section and "0\\.97" in section
    assert "<script" not in md and "](javascript" not in md and "**bold**" not in section
    assert "\x1b" not in md
    html = export(report, "html", tmp_path).read_text(encoding="utf-8")
    doc = parse(html)
    assert "script" not in [t for t, _ in doc.tags] and "&lt;script&gt;" in html
    text = re.search(r'<section id="text">(.*?)</section>', html, re.S)
    assert text is not None and "@storm_watcher" in text.group(1) and "Leads" in text.group(1)
    assert "0.81 (1 frame)" in text.group(1) and "0:01.5" in text.group(1)
    pdf = export(report, "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    data = json.loads(export(report, "json", tmp_path).read_text(encoding="utf-8"))
    assert data["text"]["leads"][0]["value"] == "@storm_watcher"


def test_without_ocr_the_report_says_the_text_was_not_read(tmp_path: Path) -> None:
    plain = build_report(analyse(fx.hostile_clip(tmp_path / "c.mp4")))
    assert plain.text is None
    html = export(plain, "html", tmp_path).read_text(encoding="utf-8")
    assert re.search(r'<section id="text"><h2>Text on screen</h2><p class="note">Not read', html)
    assert "Not read" in export(plain, "md", tmp_path).read_text(encoding="utf-8")


def test_ocr_stage_without_keyframes_says_why(tmp_path: Path) -> None:
    from tests import media

    a = ocr(analyse(media.make_audio_only(tmp_path / "a.m4a")))
    assert a.text is None and a.steps[-1].step == "text not read" and "audio only" in a.steps[-1].detail


@pytest.mark.slow
def test_cli_report_ocr_reads_the_keyframes_of_the_one_decode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``verify report --ocr``: the text burned into a clip reaches the report; still one decode."""
    from tests.test_ocr import _text_clip
    from verify.cli import main

    clip = _text_clip(tmp_path / "burned.mp4").resolve()
    counts = Reads(monkeypatch, lambda p: p == clip)
    out = tmp_path / "r.json"
    assert main(["report", str(clip), "--ocr", "-o", str(out)]) == 0
    assert counts.frames[str(clip)] == 30  # 3 s at 10 fps: every frame decoded exactly once
    data = json.loads(out.read_text(encoding="utf-8"))
    texts = [i["text"] for i in data["text"]["items"]]
    assert any("storm_watcher" in t for t in texts), texts
    assert "@storm_watcher" in [lead["value"] for lead in data["text"]["leads"]]
    assert "text read" in [e["step"] for e in data["custody"]]
    assert data["text"]["frames_read"] == len(data["keyframes"])
