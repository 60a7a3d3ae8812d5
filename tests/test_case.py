"""Case files: save, open, check; one changed byte in a frame is named; zip-slip refused."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest

from tests import test_report_fixtures as fx
from verify.case import check_case, open_case, save_case
from verify.errors import CaseIntegrityError, ReportError
from verify.report import Report

pytestmark = pytest.mark.slow


def _rewrite(
    src: Path, dst: Path, change: dict[str, bytes | None], add: dict[str, bytes] | None = None
) -> None:
    """Copy a zip, replacing (or dropping, with None) some members, as an editor would."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    zout.writestr(info.filename, change[info.filename])
                continue
            zout.writestr(info, zin.read(info))
        for name, data in (add or {}).items():
            zout.writestr(name, data)


@pytest.fixture
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return fx.hostile_report(tmp_path_factory)


def test_save_open_round_trip(hostile_report: Report, tmp_path: Path) -> None:
    path = save_case(hostile_report, tmp_path / "case.verify.zip")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    assert {"manifest.json", "report.json"} <= names
    assert {r.name for r in hostile_report.image_refs()} <= names
    assert manifest["original"] == {"name": hostile_report.file.name, "sha256": hostile_report.file.sha256,
                                    "size": hostile_report.file.size, "included": False}  # fmt: skip
    assert set(manifest["files"]) == names - {"manifest.json"}
    check = check_case(path)
    assert check.ok and not (check.changed or check.missing or check.extra)
    case = open_case(path)
    assert case.report.file == hostile_report.file
    assert case.report.images == {k: hostile_report.images[k] for k in case.report.images}
    assert len(case.report.images) == len(hostile_report.image_refs())
    assert case.report.custody.steps()[-2:] == ["case saved", "case opened"]
    assert "referenced by hash only" in case.summary()


def test_one_changed_byte_in_a_frame_is_named(hostile_report: Report, tmp_path: Path) -> None:
    path = save_case(hostile_report, tmp_path / "case.verify.zip")
    frame = next(r.name for r in hostile_report.image_refs() if "keyframe" in r.name)
    data = bytearray(hostile_report.images[frame])
    data[len(data) // 2] ^= 0x01
    tampered = tmp_path / "tampered.verify.zip"
    _rewrite(path, tampered, {frame: bytes(data)})
    check = check_case(tampered)
    assert not check.ok and check.changed == [frame] and not check.missing and not check.extra
    with pytest.raises(CaseIntegrityError, match=re.escape(frame)):
        open_case(tampered)
    assert open_case(tampered, strict=False).check.changed == [frame]


def test_a_byte_flipped_inside_the_archive_is_named(hostile_report: Report, tmp_path: Path) -> None:
    path = save_case(hostile_report, tmp_path / "case.verify.zip")
    frame = next(r.name for r in hostile_report.image_refs() if "pair01-reference" in r.name)
    raw = bytearray(path.read_bytes())
    where = raw.find(hostile_report.images[frame])  # pictures are stored uncompressed
    assert where > 0
    raw[where + 100] ^= 0xFF
    path.write_bytes(bytes(raw))
    assert check_case(path).changed == [frame]


def test_missing_and_extra_members(hostile_report: Report, tmp_path: Path) -> None:
    path = save_case(hostile_report, tmp_path / "case.verify.zip")
    frame = hostile_report.image_refs()[0].name
    other = tmp_path / "other.verify.zip"
    _rewrite(path, other, {frame: None}, add={"images/planted.jpg": b"x"})
    check = check_case(other)
    assert check.missing == [frame] and check.extra == ["images/planted.jpg"] and not check.ok


def test_zip_slip_members_are_refused(hostile_report: Report, tmp_path: Path) -> None:
    path = save_case(hostile_report, tmp_path / "case.verify.zip")
    evil = tmp_path / "evil.verify.zip"
    _rewrite(path, evil, {}, add={"../../escaped.txt": b"pwned", "/abs.txt": b"x"})
    check = check_case(evil)
    assert not check.ok and any("unsafe member name" in p for p in check.problems)
    with pytest.raises(CaseIntegrityError):
        open_case(evil)
    case = open_case(evil, strict=False)
    assert not any(".." in n for n in case.report.images)
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_original_included_when_asked(hostile_report: Report, tmp_path: Path) -> None:
    path = save_case(hostile_report, tmp_path / "with.verify.zip", include_original=True)
    case = open_case(path)
    assert case.original is not None and case.original.startswith("original/") and ".." not in case.original
    with zipfile.ZipFile(path) as zf:
        assert hashlib.sha256(zf.read(case.original)).hexdigest() == hostile_report.file.sha256
    assert case.manifest["original"]["included"] is True


def test_not_a_case_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.verify.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(CaseIntegrityError, match=r"junk\.verify\.zip"):
        check_case(junk)
    with pytest.raises(ReportError):
        open_case(tmp_path / "absent.verify.zip")
