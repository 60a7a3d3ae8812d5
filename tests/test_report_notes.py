"""Analyst notes: the model, JSON and Markdown files, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verify.notes import CHECKS, Notes, NotesError, load_notes, parse_markdown

MD = """# Verdict: false
analyst: A. Checker

Recycled footage from 2019, not last night's storm.

## Provenance
status: false
confidence: high
Matches the 2019 agency clip (match 1).
Mirrored and cropped.

## Date
status: Misleading
confidence: medium
Shadows fit an afternoon; the post says morning.
"""


def test_markdown_notes_parse() -> None:
    notes = parse_markdown(MD)
    assert notes.verdict == "false" and notes.analyst == "A. Checker"
    assert notes.summary == "Recycled footage from 2019, not last night's storm."
    p = notes.check("provenance")
    assert (p.status, p.confidence) == ("false", "high")
    assert p.text == "Matches the 2019 agency clip (match 1).\nMirrored and cropped."
    assert notes.check("date").status == "misleading"
    assert notes.check("location").status == "unverified"  # untouched checks stay unverified
    assert [c.check for c in notes.checks] == list(CHECKS)


def test_markdown_round_trip() -> None:
    notes = parse_markdown(MD)
    again = parse_markdown(notes.to_markdown())
    assert again.checks == notes.checks and again.verdict == notes.verdict and again.summary == notes.summary


def test_json_file_and_dict_shapes(tmp_path: Path) -> None:
    notes = (
        Notes()
        .with_check("source", status="verified", confidence="medium", text="Filmed by X")
        .with_verdict("verified")
    )
    f = tmp_path / "notes.json"
    f.write_text(notes.to_json())
    assert load_notes(f) == notes
    short = tmp_path / "short.json"
    short.write_text(json.dumps({"verdict": "misleading", "checks": {"location": {"status": "false"}}}))
    loaded = load_notes(short)
    assert loaded.verdict == "misleading" and loaded.check("location").status == "false"


def test_bad_notes_name_the_file_and_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("## Weather\nstatus: false\n")
    with pytest.raises(NotesError, match=r"bad\.md.*unknown check heading"):
        load_notes(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"verdict": "probably"}))
    with pytest.raises(NotesError, match="verdict must be one of"):
        load_notes(wrong)
    with pytest.raises(NotesError, match="no such notes file"):
        load_notes(tmp_path / "absent.md")
    with pytest.raises(NotesError, match="status must be"):
        Notes().with_check("date", status="maybe")
