"""Hostile case files against the CLI: every one refused (exit 2, one line) or opened safely, bounded.

The attacks are built by ``tests/hostile_cases.py`` (shared with the workbench's suite). Each
runs as a child ``python -m verify case check|open`` whose peak memory is measured; the times
and memory of every case are tabulated by ``benchmarks/case_attacks.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile_cases import HOSTILE_STRINGS, HostileCase, attack_problems, build_all
from tests.runner import run_verify
from verify.case import check_case, open_case
from verify.errors import CaseIntegrityError, VerifyError


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> list[HostileCase]:
    return build_all(tmp_path_factory.mktemp("hostile-cases"))


def test_the_attack_set_covers_the_issue(hostile: list[HostileCase]) -> None:
    names = {c.name for c in hostile}
    wanted = {"zip-slip", "absolute-path", "symlink", "zip-bomb", "zip-bomb-lying", "json-bomb-report",
              "json-depth-report", "duplicate-report", "duplicate-manifest", "manifest-size-lies",
              "future-manifest", "future-report", "original-mismatch", "hostile-strings", "name-50mb",
              "control-name", "not-a-zip", "truncated", "manifest-not-object", "report-size-text"}  # fmt: skip
    assert wanted <= names
    assert {c.expect for c in hostile} == {"ok", "safe", "refused"}
    assert all(c.path.exists() and c.about for c in hostile)


def test_in_process_every_case_is_a_verify_error_or_a_safe_case(hostile: list[HostileCase]) -> None:
    """What the workbench calls: open_case(strict=False) never raises anything but a VerifyError."""
    for case in hostile:
        try:
            opened = open_case(case.path, strict=False)
        except VerifyError as exc:
            assert case.expect == "refused", (case.name, str(exc))
            assert "\n" not in str(exc)
            continue
        text = opened.summary() + opened.check.describe()
        assert not any(c in text for c in ("\x1b", "\x07", "\u202e", "\x9b")), case.name
        assert len(text) < 5000, case.name
        if case.expect != "refused":
            assert opened.check.ok, (case.name, opened.check.describe())
        else:  # refused by the CLI (strict), inspectable here: it must say what is wrong
            assert not opened.check.ok, case.name
            with pytest.raises(CaseIntegrityError):
                open_case(case.path)
        assert check_case(case.path).ok == (case.expect != "refused"), case.name


#: `case check` runs on these in the suite (on every case in benchmarks/case_attacks.py); `case open`
#: runs on every case (it checks first, then parses and prints).
CHECKED = ("valid", "zip-slip", "zip-bomb", "json-depth-report", "duplicate-report", "future-manifest",
           "original-mismatch", "hostile-strings", "name-50mb", "not-a-zip")  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(1200)  # ~66 interpreter starts: ~1 s each on a quiet machine, much more on a loaded one
@pytest.mark.parametrize("command", ["check", "open"])
def test_every_attack_is_refused_or_opened_safely_in_bounded_memory(
    hostile: list[HostileCase], command: str
) -> None:
    cases = [c for c in hostile if command == "open" or c.name in CHECKED]
    assert len(cases) >= (60 if command == "open" else len(CHECKED))
    problems = [
        p
        for case in cases
        for p in attack_problems(case, command, run_verify("case", command, str(case.path)))
    ]
    assert problems == []


@pytest.mark.slow
def test_open_json_output_is_ascii_and_parses(hostile: list[HostileCase]) -> None:
    import json

    case = next(c for c in hostile if c.name == "hostile-strings")
    run = run_verify("case", "open", "--json", str(case.path))
    assert run.code == 0 and run.stdout.isascii()
    record = json.loads(run.stdout)
    assert all(
        s in record["file"]["name"] for s in HOSTILE_STRINGS
    )  # verbatim in the record, inert on screen


def test_limits_are_checked_before_reading(tmp_path: Path) -> None:
    """A bomb's bytes are never inflated: refusing it reads the central directory only."""
    from tests.hostile_cases import Entry, stored, write_zip

    bomb = Entry(
        "images/bomb.jpg", b"\x03\x00" * 512, method=8, file_size=4_000_000_000, crc=0
    )  # 4 GB declared
    path = write_zip(tmp_path / "bomb.verify.zip", [stored("manifest.json", b"{}"), bomb])
    with pytest.raises(CaseIntegrityError, match="zip bomb"):
        check_case(path)
