"""ClaimReview JSON-LD: built from a report, validated, safe to embed; the demo case exported."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.media import make_video
from verify.analysis import analyse
from verify.cli import main
from verify.export.claimreview import (
    RATINGS,
    ClaimDetails,
    ClaimReviewError,
    claim_review,
    script_tag,
    to_json_ld,
    validate,
)
from verify.notes import Notes
from verify.report import build_report

ROOT = Path(__file__).resolve().parent.parent
PLUME = ROOT / "samples" / "viral" / "smoke-plume-claim.mp4"
HOSTILE = 'Smoke</script><script>alert(1)</script><!-- "quoted" & \u2028 line'

DETAILS = ClaimDetails(
    claim="Video shows black smoke over the army camp next to the airport last night",
    review_url="https://factcheck.example.org/2026/12/smoke-plume",
    publisher="Example Fact Check",
    publisher_url="https://factcheck.example.org",
    claim_author="@newsflash_now",
    appearance_url="https://video.example.net/@newsflash_now/1234",
    claim_date="2026-11-30",
    date_published="2026-12-01",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    clip = make_video(tmp_path_factory.mktemp("cr") / "clip.mp4", seconds=1.0)
    notes = Notes().with_verdict("false", "Recycled footage from 2019.")
    return build_report(analyse(clip), notes=notes)


def test_document_from_a_report_is_valid(report) -> None:  # type: ignore[no-untyped-def]
    doc = claim_review(report, DETAILS)
    result = validate(doc)
    assert result.ok, result.errors
    assert doc["reviewRating"] == {"@type": "Rating", "alternateName": "False", "ratingValue": 1,
                                   "bestRating": 4, "worstRating": 1,
                                   "ratingExplanation": "Recycled footage from 2019."}  # fmt: skip
    media = doc["itemReviewed"]["appearance"][0]
    assert media["@type"] == "VideoObject" and media["url"] == DETAILS.appearance_url
    assert media["identifier"] == {
        "@type": "PropertyValue",
        "propertyID": "sha256",
        "value": report.file.sha256,
    }
    assert doc["itemReviewed"]["author"]["name"] == "@newsflash_now"
    assert doc["author"]["name"] == "Example Fact Check" and doc["datePublished"] == "2026-12-01"


@pytest.mark.parametrize("verdict", list(RATINGS))
def test_every_verdict_maps_to_a_rating(report, verdict: str) -> None:  # type: ignore[no-untyped-def]
    doc = claim_review(report.with_notes(Notes().with_verdict(verdict)), DETAILS)
    assert (doc["reviewRating"]["alternateName"], doc["reviewRating"]["ratingValue"]) == RATINGS[verdict]
    result = validate(doc)
    assert result.ok
    assert any("'unverified'" in w for w in result.warnings) == (verdict == "unverified")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("claimReviewed",), "claimReviewed"),
        (("reviewRating",), "reviewRating"),
        (("reviewRating", "alternateName"), "reviewRating.alternateName"),
        (("url",), "url"),
        (("author",), "author"),
        (("author", "name"), "author.name"),
        (("datePublished",), "datePublished"),
        (("itemReviewed",), "itemReviewed"),
        (("reviewRating", "bestRating"), "reviewRating.bestRating"),
        (("@context",), "@context"),
    ],
)
def test_missing_field_is_named(report, path: tuple[str, ...], field: str) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(claim_review(report, DETAILS))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    errors = validate(doc).errors
    assert errors and any(e.startswith(field + ":") for e in errors), errors


def test_bad_values_are_errors(report) -> None:  # type: ignore[no-untyped-def]
    doc = claim_review(report, DETAILS)
    assert "url: not an absolute http(s) URL" in validate({**doc, "url": "javascript:alert(1)"}).errors
    assert "datePublished: not an ISO 8601 date" in validate({**doc, "datePublished": "yesterday"}).errors
    out_of_range = {**doc, "reviewRating": {**doc["reviewRating"], "ratingValue": 9}}
    assert "reviewRating.ratingValue: outside worstRating..bestRating" in validate(out_of_range).errors
    assert validate([]).errors == ("document: not a JSON object",)
    with pytest.raises(ClaimReviewError, match="claim"):
        claim_review(report, ClaimDetails(claim=" ", review_url="https://x.org/r", publisher="P"))


def test_hostile_strings_stay_verbatim_but_cannot_break_out(report) -> None:  # type: ignore[no-untyped-def]
    details = ClaimDetails(
        claim=HOSTILE, review_url="https://x.org/r", publisher=HOSTILE, claim_author=HOSTILE
    )
    doc = claim_review(report, details)
    text = to_json_ld(doc)
    assert json.loads(text) == doc  # verbatim once parsed
    tag = script_tag(doc)
    body = tag.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    for bad in ("</", "<!--", "<script", "\u2028", "&"):
        assert bad not in body
    assert tag.count("</script>") == 1


def test_cli(report, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    rjson = tmp_path / "report.json"
    rjson.write_text(report.to_json())
    out = tmp_path / "cr.json"
    args = ["claimreview", str(rjson), "--claim", DETAILS.claim, "--review-url", DETAILS.review_url,
            "--publisher", DETAILS.publisher, "-o", str(out)]  # fmt: skip
    assert main(args) == 0
    assert "rating False 1/4; valid" in capsys.readouterr().out
    assert validate(json.loads(out.read_text())).ok
    assert main(["claimreview", str(rjson), "--review-url", "https://x.org", "--publisher", "P"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--claim" in err[0]


@pytest.mark.slow
def test_demo_case_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Must show: the demo clip against the sample library, exported as a validated ClaimReview."""
    from ui import samples
    from ui.config import DataPaths

    (tmp_path / "data").mkdir()
    library = samples.build(DataPaths(tmp_path / "data"))
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# Verdict: false\nRecycled footage: an airliner at a 2019 airfield open day and a 2017 drone flight.\n"
    )
    out = tmp_path / "claimreview.html"
    args = ["claimreview", str(PLUME), "--library", str(library), "--notes", str(notes),
            "--claim", "Video shows black smoke over the army camp next to the airport",
            "--claim-author", "@newsflash_now", "--appearance-url", "https://video.example.net/@newsflash_now/1",
            "--review-url", "https://factcheck.example.org/smoke-plume", "--publisher", "Example Fact Check",
            "--html", "-o", str(out)]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    text = out.read_text()
    doc = json.loads(text.split(">", 1)[1].rsplit("</script>", 1)[0])
    assert validate(doc).ok
    assert doc["reviewRating"]["alternateName"] == "False"
    # the known footage it was matched to (the static airliner shot is not claimed: README "Limits")
    assert any("drone-cliffs-2017" in w["url"] for w in doc["isBasedOn"])
    assert (
        doc["itemReviewed"]["appearance"][0]["identifier"]["value"]
        == __import__("hashlib").sha256(PLUME.read_bytes()).hexdigest()
    )
