"""The library is never modified when it should not be, and its errors say what is really wrong.

A foreign SQLite file is refused byte-for-byte unchanged; a read-only library (file or folder)
is reported as read-only, not as damaged; a full disk says "the disk is full" (tested on a real
1 MB tmpfs when this process may mount one, and under a file-size limit otherwise).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests import media
from tests.fixtures_fs import UNPRIVILEGED, small_disk, snapshot
from tests.runner import run_verify
from verify.errors import LibraryCorruptError, LibraryError, LibraryFullError
from verify.library import Library, Provenance


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("lib-clips")
    return [
        media.make_video(d / f"c{i}.mp4", seconds=1.0, fps=10, painter=media.textured(seed=60 + i))
        for i in range(4)
    ]


def _foreign(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('source A', '+000')")
    conn.commit()
    conn.close()
    return path


def test_a_foreign_sqlite_file_is_refused_unmodified(tmp_path: Path, clips: list[Path]) -> None:
    db = _foreign(tmp_path / "contacts.db")
    before = snapshot(tmp_path)
    with pytest.raises(LibraryError, match="not a verify library"):
        Library(db)
    for args in (("library", "list"), ("hash", str(clips[0])), ("match", str(clips[0]))):
        run = run_verify(*args, "--library", str(db))
        assert run.code == 2 and len(run.err_lines) == 1 and "not a verify library" in run.err_lines[0], run
    assert snapshot(tmp_path) == before  # same bytes, same mtime, no -wal/-shm/-journal beside it
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_file_that_is_not_sqlite_is_refused_unmodified(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("my private notes, not a database\n" * 100)
    before = snapshot(tmp_path)
    with pytest.raises(LibraryCorruptError):
        Library(notes)
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(UNPRIVILEGED is None, reason="needs setpriv to drop root's file-permission override")
def test_read_only_library_folder_and_file_say_read_only(tmp_path: Path, clips: list[Path]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "lib.db"
    assert run_verify("hash", str(clips[0]), "--library", str(db)).code == 0
    before = snapshot(folder)
    try:
        for mode_dir, mode_file, what in (
            (0o555, 0o644, "folder"),
            (0o755, 0o444, "file"),
            (0o555, 0o444, "file"),
        ):
            folder.chmod(mode_dir)
            db.chmod(mode_file)
            for args in (("hash", str(clips[1])), ("library", "list"), ("library", "remove", "1")):
                run = run_verify(*args, "--library", str(db), prefix=UNPRIVILEGED)
                assert run.code == 2 and len(run.err_lines) == 1, (what, args, run)
                line = run.err_lines[0]
                assert (
                    f"the library {what} is read-only" in line
                    and "damaged" not in line
                    and "backup" not in line
                )
            # a new library in a read-only folder
            if mode_dir == 0o555:
                run = run_verify(
                    "hash", str(clips[1]), "--library", str(folder / "new.db"), prefix=UNPRIVILEGED
                )
                assert run.code == 2 and "folder is read-only" in run.err_lines[0], run
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    assert {k: v for k, v in snapshot(folder).items() if k != "lib.db"} == {
        k: v for k, v in before.items() if k != "lib.db"
    }
    assert snapshot(folder)["lib.db"][0] == before["lib.db"][0]  # same bytes
    with Library(db) as lib:
        assert len(lib) == 1 and lib.integrity_check() == "ok"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["tmpfs", "file-size-limit"])
def test_disk_full_says_so_and_keeps_what_was_committed(tmp_path: Path, clips: list[Path], how: str) -> None:
    with small_disk(tmp_path, how, size_kb=1024) as disk:
        db = disk.folder / "lib.db"
        first = run_verify("hash", str(clips[0]), "--library", str(db))
        assert first.code == 0, first
        disk.fill(leave_kb=8)
        runs = [run_verify("hash", str(c), "--library", str(db), rlimit_fsize=disk.rlimit) for c in clips[1:]]
        failed = [r for r in runs if r.code != 0]
        assert failed, "the disk never filled up"
        for r in failed:
            text = r.stderr.decode() + r.stdout.decode()
            assert r.code in (2, 3) and not r.traceback, r
            assert ("the disk is full" if how == "tmpfs" else "file-size limit") in text, text
            assert "cannot rollback" not in text and "no transaction is active" not in text
        disk.free()
        with Library(db) as lib:
            assert lib.integrity_check() == "ok"
            known = len(lib)
            assert known >= 1
        again = run_verify("hash", *map(str, clips), "--library", str(db), "--json")
        assert again.code == 0, again
        with Library(db) as lib:
            assert len(lib) == len(clips) and lib.integrity_check() == "ok"
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_library_errors_name_the_cause_not_the_rollback(tmp_path: Path, clips: list[Path]) -> None:
    """An SQLite error inside a write is mapped (here: SQLITE_FULL from a page-count cap)."""
    db = tmp_path / "capped.db"
    with Library(db) as lib:
        lib.add(clips[0])
        pages = lib._conn.execute("PRAGMA page_count").fetchone()[0]
        lib._conn.execute(f"PRAGMA max_page_count = {pages}")  # no room for 100 KB of notes
        with pytest.raises(LibraryFullError, match="the disk is full") as caught:
            lib.add(clips[1], Provenance(notes="n" * 100_000))
        assert "rollback" not in str(caught.value) and "no transaction" not in str(caught.value)
        assert not lib._conn.in_transaction
        assert lib.integrity_check() == "ok" and len(lib) == 1
    assert os.path.exists(db)
