# ruff: noqa: F811 - the sample-library fixture of tests/test_app.py is imported, then taken as an argument
"""Words an analyst understands, in the CLI's human output and the reports (issue 9, item 5).

The demo clip (``samples/viral``: reframed from a vertical video and mirrored) against the sample
library built as on a first run; reports exported by ``verify report`` as HTML, Markdown and PDF,
read back as a reader sees them (HTML without its tags, the PDF through ``pdftotext``).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import media
from tests.test_app import PLUME, sample_data  # noqa: F401 - fixture
from verify.cli import main

pytestmark = pytest.mark.slow

REGION_NAMES = re.compile(r"band\d|crop\d|win\d+-\d+-\d+|\+mirror")


def visible(page: str) -> str:
    """The text of an HTML page as a browser shows it (no tags, no style or script, entities decoded)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_cli_match_and_probe_speak_plainly(sample_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", str(PLUME), "--library", str(sample_data / "sample-library.db")]) == 0
    out = capsys.readouterr().out
    # the drone part is mirrored and reframed: which layout variant aligns best may change with the
    # matcher's search order, but it is said in words ("reframed from a vertical video", "cropped to 85 %")
    assert "mirrored" in out and ("reframed from a vertical video" in out or "cropped to" in out), out
    assert not REGION_NAMES.search(out), out
    assert "of its frames align" in out


def test_cli_probe_shows_the_frame_rate_readably(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    times = [i / 30 for i in range(90) if i % 3 == 0 or i < 10]
    clip = media.make_video(tmp_path / "dropped.mp4", fps=30, times=times)
    assert main(["probe", str(clip)]) == 0
    out = capsys.readouterr().out
    assert "30 fps (average 12.273: frames are dropped or variable)" in out, out
    assert "(real " not in out


def test_reports_of_the_demo_clip_have_no_markdown_asterisks_or_region_names(
    sample_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = str(sample_data / "sample-library.db")
    for fmt in ("html", "md", "pdf"):
        assert main(["report", str(PLUME), "--library", lib, "-o", str(tmp_path / f"r.{fmt}")]) == 0
    said = capsys.readouterr().out
    assert "1 match)" in said and "match(es)" not in said, said
    page = visible((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert "Seen before" in page or "Match 1" in page, page[:2000]
    assert "**" not in page and "__" not in page
    assert not REGION_NAMES.search(page), REGION_NAMES.findall(page)
    assert "reframed from a vertical video" in page and "reference(s)" not in page
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert not REGION_NAMES.search(md.replace("\\", "")), REGION_NAMES.findall(md)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Match 1" in text or "reference" in text, text[:2000]
    assert "**" not in text and not REGION_NAMES.search(text), REGION_NAMES.findall(text)
    assert "reframed from a vertical" in text and "reference(s)" not in text
