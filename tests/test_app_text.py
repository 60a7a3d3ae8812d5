"""The Text panel of the workbench (AppTest): OCR after the keyframes, texts and leads as text, boxes
drawn on the keyframe, and the workbench's report carrying the text on screen."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
from PIL import Image

from tests.test_app import PLUME, data, idle, open_path, page, sample_data, start  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workbench")]


@pytest.fixture(autouse=True)
def ocr_on(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811 - data: the fixture
    """The other workbench tests turn the background OCR off; these are about it."""
    monkeypatch.setenv("VERIFY_OCR", "1")


def test_text_panel_lists_texts_leads_and_boxes(data: Path) -> None:  # noqa: F811
    from ui import analysis, jobs

    at = open_path(start(), PLUME)
    sha = at.session_state["loader.current"].sha256
    idle()
    kf, text = jobs.runner().get(analysis.keyframes_key(sha)), jobs.runner().get(analysis.text_key(sha))
    assert kf is not None and text is not None and text.status == "done", text and text.error
    assert (
        text.started is not None and kf.finished is not None and text.started >= kf.started
    )  # after the decode
    at = page(at.run(), "keyframes")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(s.value == "Text on screen" for s in at.subheader)
    frames = [df.value for df in at.dataframe]
    texts = [str(t) for df in frames for t in df["Text"]]
    assert any("@newsflash_now" in t for t in texts) and any("BREAKING" in t for t in texts), texts
    assert "@newsflash_now" in [c.value for c in at.code]  # the handle as a lead, copyable as text
    # the boxes are drawn into the shown keyframe (a PNG unlike the plain keyframe JPEG)
    result = analysis.text_of(sha)
    views = analysis.keyframe_views(analysis.decoded(at.session_state["loader.current"]))
    shown = next(v for v in views if analysis.items_at(result, v.time))
    boxed = np.asarray(
        Image.open(io.BytesIO(analysis.boxed(shown.jpeg, analysis.items_at(result, shown.time))))
    )
    plain = np.asarray(Image.open(io.BytesIO(shown.jpeg)).convert("RGB"))
    x0, y0, _x1, y1 = analysis.items_at(result, shown.time)[0].box
    h, w = plain.shape[:2]
    edge = boxed[int(y0 * h) : int(y1 * h), max(0, int(x0 * w) - 1) : int(x0 * w) + 2]
    assert (np.abs(edge.astype(int) - [255, 196, 0]).sum(axis=-1) < 60).mean() > 0.5  # the outline is there
    assert any("Keyframe" in s.label for s in at.selectbox)
    # the workbench's report has the Text on screen section
    at = page(at, "export")
    at.radio(key="export.report.format").set_value("JSON")
    next(b for b in at.button if b.label == "Build the report").click()
    at.run(timeout=240)
    assert not at.error, [e.value for e in at.error]
    report = json.loads(at.session_state["export.report.ready"][2])
    assert report["text"] and "@newsflash_now" in [lead["value"] for lead in report["text"]["leads"]]
    assert "text read" in [e["step"] for e in report["custody"]]
