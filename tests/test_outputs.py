"""Every output (report, evidence, frames, case save) refuses devices, FIFOs and links, is written
atomically, and says plainly when the disk is full or permission is denied; odd file names
(not UTF-8) never crash the output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests import media
from tests.fixtures_fs import UNPRIVILEGED, small_disk, snapshot
from tests.runner import run_verify
from verify.errors import DiskFullError, UnsafePathError
from verify.export import export, paths
from verify.report import FileRecord, Report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.make_video(tmp_path_factory.mktemp("out-clip") / "clip.mp4", seconds=4.0, fps=15)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, clip: Path) -> Path:
    db = tmp_path_factory.mktemp("out-lib") / "lib.db"
    assert run_verify("hash", str(clip), "--library", str(db)).code == 0
    return db


def _one_error(run, *words: str) -> None:  # type: ignore[no-untyped-def]
    lines = run.err_lines
    assert run.code == 2 and not run.hung and len(lines) == 1 and lines[0].startswith("error: "), run
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_report_to_dev_null_is_refused_and_writes_nothing(clip: Path) -> None:
    assert not os.path.exists("/dev/null.html")
    run = run_verify("report", str(clip), "--no-keyframes", "-o", "/dev/null")
    _one_error(run, "device")
    assert not os.path.exists("/dev/null.html")


@pytest.mark.parametrize("command", ["report", "case-save", "evidence", "frames-file"])
def test_fifo_and_symlink_outputs_are_refused_without_hanging(
    tmp_path: Path, clip: Path, library: Path, command: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    fifo = tmp_path / "pipe.out"
    os.mkfifo(fifo)
    link = tmp_path / "planted.out"
    link.symlink_to(victim)
    for target, word in ((fifo, "FIFO"), (link, "symbolic link")):
        if command == "report":
            run = run_verify(
                "report", str(clip), "--no-keyframes", "--format", "html", "-o", str(target), timeout=60
            )
        elif command == "case-save":
            run = run_verify("case", "save", str(clip), "-o", str(target), timeout=60)
        elif command == "evidence":
            run = run_verify("evidence", str(clip), "--library", str(library), "-o", str(target), timeout=60)
        else:  # a planted file inside the frames folder, named like the first image
            out = tmp_path / "frames"
            if not out.exists():
                assert run_verify("frames", str(clip), "--out", str(out)).code == 0
            planted = sorted(out.glob("clip_t*.jpg"))[0]
            planted.unlink()
            if target == fifo:
                os.mkfifo(planted)
            else:
                planted.symlink_to(victim)
            run = run_verify("frames", str(clip), "--out", str(out), timeout=60)
        _one_error(run, word)
    assert victim.read_text() == "precious\n"


def test_evidence_of_a_clip_against_itself_works(tmp_path: Path, clip: Path, library: Path) -> None:
    out = tmp_path / "self.mp4"
    run = run_verify("evidence", str(clip), "--library", str(library), "-o", str(out))
    assert run.code == 0, run
    assert out.stat().st_size > 1000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def _report(name: str = "clip.mp4") -> Report:
    return Report(case_id="VER-20250101-00000000", file=FileRecord(name, 10, "0" * 64))


def test_a_failed_export_keeps_the_previous_one(tmp_path: Path) -> None:
    with small_disk(tmp_path, "tmpfs", size_kb=256) as disk:
        first = export(_report(), "json", disk.folder, name="r.json")
        before = first.read_bytes()
        big = Report(case_id="VER-20250101-00000000", file=FileRecord("clip.mp4", 10, "0" * 64),
                     probe={"x": "y" * 400_000})  # fmt: skip
        with pytest.raises(DiskFullError, match="the disk is full"):
            export(big, "json", disk.folder, name="r.json")
        assert first.read_bytes() == before
        assert sorted(p.name for p in disk.folder.iterdir()) == ["r.json"]  # no half-written temporary


def test_a_failed_export_under_a_file_size_limit_keeps_the_previous_one(tmp_path: Path, clip: Path) -> None:
    out = tmp_path / "r.md"
    assert run_verify("report", str(clip), "--no-keyframes", "-o", str(out)).code == 0
    before = snapshot(tmp_path)
    run = run_verify("report", str(clip), "--no-keyframes", "-o", str(out), rlimit_fsize=1024)
    _one_error(run, "file-size limit")
    assert snapshot(tmp_path) == before


def test_paths_refuse_what_is_not_a_plain_file(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(tmp_path / "dir")
    for name, word in (("dir", "folder"), ("fifo", "FIFO"), ("link", "symbolic link")):
        with pytest.raises(UnsafePathError, match=word):
            paths.check_output(tmp_path / name)
    with pytest.raises(UnsafePathError, match="device"):
        paths.check_output("/dev/null")
    assert paths.check_output(tmp_path / "new.html") == tmp_path / "new.html"


@pytest.mark.skipif(UNPRIVILEGED is None, reason="needs setpriv to drop root's file-permission override")
def test_permission_errors_exit_2_with_one_plain_line(tmp_path: Path, clip: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "src").mkdir()
    secret = tmp_path / "src" / "secret.mp4"
    secret.write_bytes(clip.read_bytes())
    secret.chmod(0o000)
    locked.chmod(0o555)
    try:
        run = run_verify(
            "report", str(clip), "--no-keyframes", "-o", str(locked / "r.html"), prefix=UNPRIVILEGED
        )
        _one_error(run, "permission denied")
        run = run_verify("case", "save", str(clip), "-o", str(locked / "c.verify.zip"), prefix=UNPRIVILEGED)
        _one_error(run, "permission denied")
        run = run_verify("frames", str(clip), "--out", str(locked / "frames"), prefix=UNPRIVILEGED)
        _one_error(run, "permission denied")
        run = run_verify("probe", str(secret), prefix=UNPRIVILEGED)
        _one_error(run, "not readable")
        run = run_verify("hash", str(secret.parent), "--library", str(tmp_path / "l.db"), prefix=UNPRIVILEGED)
        assert run.code == 3 and not run.traceback and "permission denied" in run.stdout.decode().lower(), run
    finally:
        locked.chmod(0o755)
        secret.chmod(0o644)
    assert list(locked.iterdir()) == []


def test_file_names_that_are_not_utf8_never_crash_the_output(tmp_path: Path) -> None:
    folder = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/\xff\xfe-folder"))
    folder.mkdir()
    odd = Path(os.fsdecode(os.fsencode(str(folder)) + b"/\xe9t\xe9-\xff.mp4"))
    media.make_video(odd, seconds=1.0, fps=10)
    db = tmp_path / "lib.db"
    out = tmp_path / "out"
    out.mkdir()
    runs = {
        "probe": run_verify("probe", str(odd)),
        "probe-json": run_verify("probe", "--json", str(odd)),
        "hash": run_verify("hash", str(folder), "--library", str(db)),
        "hash-again-json": run_verify("hash", str(odd), "--library", str(db), "--json"),
        "list": run_verify("library", "list", "--library", str(db)),
        "list-json": run_verify("library", "list", "--json", "--library", str(db)),
        "show": run_verify("library", "show", "1", "--library", str(db)),
        "match": run_verify("match", str(odd), "--library", str(db)),
        "match-json": run_verify("match", "--json", str(odd), "--library", str(db)),
        "report-md": run_verify("report", str(odd), "--no-keyframes", "-o", str(out / "r.md")),
        "report-json": run_verify(
            "report", str(odd), "--library", str(db), "--no-keyframes", "-o", str(out / "r.json")
        ),
        "frames": run_verify("frames", str(odd), "--out", str(out / "frames")),
        "case-save": run_verify(
            "case", "save", str(odd), "-o", str(out / "c.verify.zip"), "--include-original"
        ),
        "case-check": run_verify("case", "check", str(out / "c.verify.zip")),
        "case-open": run_verify("case", "open", str(out / "c.verify.zip")),
        "not-there": run_verify("probe", os.fsdecode(b"/nonexistent/\xff.mp4")),
    }
    for name, run in runs.items():
        assert not run.traceback and "UnicodeEncodeError" not in run.stderr.decode(), (name, run)
        assert run.code == (2 if name == "not-there" else 0), (name, run)
    for name in ("probe-json", "hash-again-json", "list-json", "match-json"):
        for line in runs[name].stdout.splitlines():
            json.loads(line) if name != "probe-json" else None
        if name == "probe-json":
            json.loads(runs[name].stdout)
    record = json.loads((out / "r.json").read_text())
    assert record["file"]["name"]  # the report names the file (escaped), the export is valid JSON
