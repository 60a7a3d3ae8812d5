"""A CI-sized run of the fuzz harness (``benchmarks/fuzz_media.py``): mutated corpus files through
``verify probe`` and ``verify hash`` as child processes — no traceback, no hang, exit 0/2/3 only,
bounded memory, the library intact after every hash. The full run (400 cases) is the benchmark."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import fuzz_media

pytestmark = [pytest.mark.slow, pytest.mark.corpus]

#: Cases of seed 1 that failed before the fixes (exifread HEIC BadSize / NotImplementedError), then
#: a spread over every source format and mutator.
KNOWN = (4, 104)
SPREAD = tuple(range(7, 400, 27))


def test_fuzzed_media_never_crash_hang_or_damage_the_library(corpus: Path, tmp_path: Path) -> None:
    files = fuzz_media.sources(corpus)
    assert len(files) >= 15
    cases = [fuzz_media.make_case(files, i, 1, tmp_path / "cases") for i in (*KNOWN, *SPREAD)]
    assert {c.mutator for c in cases} == {name for name, _ in fuzz_media.MUTATORS}
    assert len({Path(c.source).suffix for c in cases}) >= 8
    summary = fuzz_media.run_all(cases, tmp_path / "fuzz.db", jobs=1, timeout=120)
    assert summary.problems() == []
    runs = summary.runs("probe") + summary.runs("hash")
    assert max(r.peak_mb for r in runs) < 500
    assert {r.code for r in summary.runs("hash")} <= {0, 3} and any(r.code == 0 for r in summary.runs("hash"))
