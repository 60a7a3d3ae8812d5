"""Matching on the corpus's ThreatExchange sets: every variant matches its own original and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from verify.library import Library, Provenance
from verify.matching import match_file

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

CHAIR_ORIG = "te-chair-orig-22-sd-bar.mp4"
PATTERN_ORIG = "te-pattern-hd-no-bar.mp4"
CHAIRS = [
    "te-chair-19-sd-bar.mp4",
    "te-chair-20-sd-bar.mp4",
    "te-chair-22-sd-grey-bar.mp4",
    "te-chair-22-sd-sepia-bar.mp4",
    "te-chair-22-with-large-logo-bar.mp4",
    "te-chair-22-with-small-logo-bar.mp4",
]
PATTERNS = [
    "te-pattern-longer-no-bar.mp4",
    "te-pattern-sd-grey-bar.mp4",
    "te-pattern-sd-with-large-logo-bar.mp4",
    "te-pattern-sd-with-small-logo-bar.mp4",
]


@pytest.fixture(scope="module")
def te_library(corpus: Path) -> Iterator[Library]:
    lib = Library(":memory:")
    lib.add(corpus / "files" / CHAIR_ORIG, Provenance(title="chair"))
    lib.add(corpus / "files" / PATTERN_ORIG, Provenance(title="pattern"))
    yield lib
    lib.close()


@pytest.mark.parametrize(
    ("name", "own", "other"),
    [(n, "chair", "pattern") for n in CHAIRS] + [(n, "pattern", "chair") for n in PATTERNS],
)
def test_variant_matches_its_original_only(
    te_library: Library, corpus: Path, name: str, own: str, other: str
) -> None:
    result = match_file(corpus / "files" / name, te_library)
    titles = {m.reference.provenance.title for m in result.matches}
    assert titles == {own}, result.summary_lines()
    # the picture's match (a stretch only the sound supports may come first: matches are in clip order)
    best = max((m for m in result.matches if m.channel != "sound"), key=lambda m: m.query_end - m.query_start)
    assert best.speed == pytest.approx(1.0, abs=0.02) and not best.mirrored
    if "-22-" in name or name == "te-pattern-sd-grey-bar.mp4":  # same timeline as the original
        assert best.offset == pytest.approx(0.0, abs=0.3)
    assert best.query_end - best.query_start >= 0.5 * result.query.duration


def test_originals_match_themselves_and_an_unrelated_clip_nothing(te_library: Library, corpus: Path) -> None:
    for name, own in ((CHAIR_ORIG, "chair"), (PATTERN_ORIG, "pattern")):
        result = match_file(corpus / "files" / name, te_library)
        assert [m.reference.provenance.title for m in result.matches] == [own]
        assert result.matches[0].coverage_query > 0.95 and result.matches[0].coverage_reference > 0.95
    assert match_file(corpus / "files" / "te-doorknob-hd-no-bar.mp4", te_library).matches == ()
