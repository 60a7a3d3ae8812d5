"""Metadata page: the XMP / IPTC table; Export page: the ClaimReview form (AppTest, real files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from tests.test_app import STREAM, data, idle, open_path, page, sample_data, shown, start  # noqa: F401
from tests.test_xmp import PACKET, jpeg_with_app1

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workbench")]


def test_metadata_page_shows_xmp_and_iptc_as_text(data: Path, tmp_path: Path) -> None:  # noqa: F811
    still = jpeg_with_app1(tmp_path / "edited.jpg", PACKET)
    at = page(open_path(start(), still), "metadata")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(shown(t.label).startswith("XMP / IPTC (") for t in at.tabs), [t.label for t in at.tabs]
    rows = [r for df in at.dataframe for r in df.value.to_dict("records")]
    got = {(r["where"], r["field"]): r["value"] for r in rows}
    assert got[("XMP", "creator_tool")] == "Adobe Premiere Pro 2024.2 (Windows)"
    assert "created" in got[("XMP History", "step 1")] and "saved" in got[("XMP History", "step 2")]
    assert got[("IPTC (XMP)", "credit")] == "Agency <b>X</b>"  # verbatim, as text in a cell
    assert "trainedAlgorithmicMedia" in got[("XMP", "digital_source_type")]


def test_claimreview_form_validates_and_offers_json_ld(data: Path) -> None:  # noqa: F811
    at = open_path(start(), STREAM)
    idle()
    at = page(at.run(), "export")
    make = next(b for b in at.button if b.label == "Make the ClaimReview")
    make.click()
    at.run()
    assert [shown(e.value) for e in at.error] == [
        "a ClaimReview needs claim, review_url, publisher: fill in those fields."
    ]
    at.text_input(key="export.claimreview.claim").input("Video shows </script><b>smoke</b> over the camp")
    at.text_input(key="export.claimreview.publisher").input("Example Fact Check")
    at.text_input(key="export.claimreview.review_url").input("https://factcheck.example.org/smoke")
    at.text_input(key="export.claimreview.appearance_url").input("https://video.example.net/@someone/1")
    next(b for b in at.button if b.label == "Make the ClaimReview").click()
    at.run(timeout=240)
    assert not at.error, [e.value for e in at.error]
    _, doc, errors, _ = at.session_state["export.claimreview.ready"]
    assert not errors and doc["@type"] == "ClaimReview"
    assert doc["claimReviewed"].startswith("Video shows </script>")
    assert doc["reviewRating"]["alternateName"] == "Unproven"  # no verdict yet: unverified
    blocks = [c.value for c in at.code]
    assert any('"@type": "ClaimReview"' in c for c in blocks)
    assert (
        json.loads(next(c for c in blocks if "ClaimReview" in c))["url"]
        == "https://factcheck.example.org/smoke"
    )
    assert {b.proto.label for b in at.get("download_button")} >= {
        "Download JSON-LD",
        "Download as a <script> tag",
    }
