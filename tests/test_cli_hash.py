"""`verify hash`, `verify match` and `verify library`: batches, bad files, kills, resumes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import media
from verify.cli import EXIT_PARTIAL, cli, main
from verify.errors import ConfigError
from verify.fingerprint import FingerprintSettings
from verify.library import Library, ingest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def json_lines(text: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three short clips (one in a subfolder), a text file named .mp4, an empty .mov, a README."""
    d = tmp_path_factory.mktemp("batch")
    (d / "sub").mkdir()
    for i, rel in enumerate(["a.mp4", "b.mp4", "sub/c.mkv"]):
        media.make_video(d / rel, seconds=1.0, fps=15, painter=media.textured(seed=10 + i))
    (d / "fake.mp4").write_text("this is not a video\n")
    (d / "empty.mov").write_bytes(b"")
    (d / "README.txt").write_text("notes, not media: never picked from a folder\n")
    (d / ".hidden.mp4").write_bytes(b"skipped")
    return d


@pytest.mark.slow
def test_hash_folder_reports_each_file_skips_bad_ones_and_resumes(folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    code, out, _ = run("hash", str(folder), "--library", str(db), "--json", "--title", "T", "--tag", "x")
    lines = json_lines(out)
    by_name = {Path(r["path"]).name: r for r in lines}
    assert code == EXIT_PARTIAL
    assert sorted(by_name) == ["a.mp4", "b.mp4", "c.mkv", "empty.mov", "fake.mp4"]
    assert [by_name[n]["status"] for n in ("a.mp4", "b.mp4", "c.mkv")] == ["added"] * 3
    assert by_name["fake.mp4"]["status"] == "failed" and "fake.mp4" in by_name["fake.mp4"]["message"]
    assert by_name["empty.mov"]["error"] == "EmptyFileError"
    assert all(len(by_name[n]["sha256"]) == 64 for n in ("a.mp4", "b.mp4", "c.mkv", "fake.mp4"))
    with Library(db) as lib:
        assert len(lib) == 3 and lib.integrity_check() == "ok"
        assert {r.provenance.title for r in lib.references()} == {"T"}
        assert lib.get(by_name["a.mp4"]["reference_id"]).provenance.tags == ("x",)
    # a re-run adds nothing and says which reference each file already is
    code, out, _ = run("hash", str(folder), "--library", str(db), "--json")
    again = {Path(r["path"]).name: r for r in json_lines(out)}
    assert code == EXIT_PARTIAL and again["a.mp4"]["status"] == "exists"
    assert again["a.mp4"]["reference_id"] == by_name["a.mp4"]["reference_id"]
    # human output: one line per file, a summary on stderr
    code, out, err = run("hash", str(folder / "a.mp4"), str(folder / "fake.mp4"), "--library", str(db))
    assert code == EXIT_PARTIAL
    assert out.splitlines()[0].startswith("exists") and out.splitlines()[1].startswith("failed")
    assert "0 added, 1 already known, 1 failed" in err


@pytest.mark.slow
def test_parallel_workers_hash_a_folder(folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "par lib?#%.db"  # a name that needs quoting in the workers' read-only URI
    code, out, _ = run("hash", str(folder), "--library", str(db), "--json", "--workers", "2")
    statuses = sorted(r["status"] for r in json_lines(out))
    assert code == EXIT_PARTIAL and statuses == ["added"] * 3 + ["failed"] * 2
    with Library(db) as lib, Library(tmp_path / "serial.db") as serial_lib:
        assert len(lib) == 3 and lib.integrity_check() == "ok"
        # the worker's fingerprints are the ones a serial run stores
        a = serial_lib.add(folder / "a.mp4").reference
        par = next(r for r in lib.references() if r.path.endswith("a.mp4"))
        assert (lib.fingerprint_of(par.id).hashes == serial_lib.fingerprint_of(a.id).hashes).all()


@pytest.mark.slow
def test_library_list_show_remove_and_hostile_names(tmp_path: Path) -> None:
    evil = media.make_video(tmp_path / "evil\x1b[31mred\u202e.mp4", seconds=0.6, fps=10)
    db = tmp_path / "lib.db"
    code, out, _ = run("hash", str(evil), "--library", str(db), "--title", "Riot \x1b]0;pwned\x07", "--first-seen",
                       "2020-01-02")  # fmt: skip
    assert code == 0 and "\x1b" not in out and "^[" in out and "<U+202E>" in out
    code, out, _ = run("library", "list", "--library", str(db))
    assert code == 0 and out.startswith("#1") and "\x1b" not in out and "2020-01-02" in out
    code, out, _ = run("library", "show", "1", "--library", str(db), "--json")
    shown = json.loads(out)
    assert (
        shown["provenance"]["title"] == "Riot \x1b]0;pwned\x07"
        and shown["provenance"]["first_seen"] == "2020-01-02"
    )  # JSON keeps it verbatim
    code, out, _ = run("library", "show", shown["sha256"][:12], "--library", str(db))
    assert code == 0 and "\x07" not in out and "title: Riot ^[]0;pwned^G" in out
    code, out, _ = run("library", "remove", "1", "--library", str(db))
    assert code == 0 and out.startswith("removed #1")
    assert main(["library", "show", "1", "--library", str(db)]) == 2  # one error line, exit 2
    assert main(["library", "list", "--library", str(tmp_path / "nope.db")]) == 2
    assert main(["hash", str(evil), "--library", str(db), "--first-seen", "yesterday"]) == 2  # usage error
    (tmp_path / "nothing").mkdir()
    assert main(["hash", str(tmp_path / "nothing"), "--library", str(db)]) == 2  # no media at all


@pytest.mark.slow
def test_match_command_json_and_human(tmp_path: Path) -> None:
    known = media.make_video(tmp_path / "known.mp4", seconds=5.0, fps=25, painter=media.textured(seed=3))
    other = media.make_video(tmp_path / "other.mp4", seconds=5.0, fps=25, painter=media.textured(seed=4))
    db = tmp_path / "m.db"
    assert run("hash", str(known), str(other), "--library", str(db), "--title", "Known")[0] == 0
    code, out, _ = run("match", str(known), "--library", str(db), "--json")
    result = json.loads(out)
    assert code == 0 and set(result) >= {"schema_version", "query", "matches"}
    top = result["matches"][0]
    assert (
        top["reference"]["path"].endswith("known.mp4") and top["reference"]["provenance"]["title"] == "Known"
    )
    for key in ("score", "query_start", "query_end", "reference_start", "reference_end", "speed", "mirrored",
                "coverage_query", "coverage_reference", "evidence"):  # fmt: skip
        assert key in top
    code, out, _ = run("match", str(known), "--library", str(db))  # the file itself: an identical copy
    assert code == 0 and '"Known"' in out and "0:00.0-0:05.0" in out and "identical copy (same bytes)" in out
    assert top["method"] == "identical" and top["score"] == 1.0


@pytest.mark.slow
def test_failure_mid_ingest_keeps_what_was_committed(folder: Path, tmp_path: Path) -> None:
    calls = []

    def progress(done: float, total: float) -> None:
        calls.append(done)
        if done >= 1.5:  # half-way through the second file
            raise ConfigError("stop requested")

    with Library(tmp_path / "p.db") as lib:
        results = []
        with pytest.raises(ConfigError):
            for r in ingest([folder / "a.mp4", folder / "b.mp4", folder / "sub"], lib, progress=progress):
                results.append(r)
        assert [r.status for r in results] == ["added"] and len(lib) == 1 and lib.integrity_check() == "ok"
        resumed = list(ingest([folder / "a.mp4", folder / "b.mp4", folder / "sub"], lib))
        assert [r.status for r in resumed] == ["exists", "added", "added"] and len(lib) == 3


@pytest.fixture(scope="module")
def eight_clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("clips")
    for i in range(8):
        media.make_video(src / f"c{i}.mp4", seconds=4.0, fps=25, painter=media.textured(seed=30 + i))
    return src


@pytest.mark.slow
def test_ctrl_c_with_workers_stops_at_once_and_keeps_commits(eight_clips: Path, tmp_path: Path) -> None:
    db = tmp_path / "int.db"
    cmd = [
        sys.executable,
        "-m",
        "verify",
        "hash",
        str(eight_clips),
        "--library",
        str(db),
        "--json",
        "--workers",
        "2",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    first = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C goes to the whole process group, workers included
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.strip() == "interrupted"
    with Library(db) as lib:
        assert lib.integrity_check() == "ok" and first["path"] in {r.path for r in lib.references()}


@pytest.mark.slow
def test_sigkill_of_hash_mid_batch_then_rerun_resumes(eight_clips: Path, tmp_path: Path) -> None:
    src = eight_clips
    db = tmp_path / "k.db"
    cmd = [sys.executable, "-m", "verify", "hash", str(src), "--library", str(db), "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    first = json.loads(proc.stdout.readline())  # one file committed and reported ...
    assert first["status"] == "added"
    os.kill(proc.pid, signal.SIGKILL)  # ... then killed mid-batch
    proc.wait(timeout=30)
    proc.stderr.close()  # type: ignore[union-attr]
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    with Library(db) as lib:
        assert lib.integrity_check() == "ok"
        done = {r.path for r in lib.references()}
        assert first["path"] in done and len(done) < 8
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    lines = json_lines(rerun.stdout)
    assert rerun.returncode == 0, rerun.stderr
    assert {r["path"] for r in lines if r["status"] == "exists"} == done
    assert sum(r["status"] == "added" for r in lines) == 8 - len(done)
    with Library(db) as lib:
        assert len(lib) == 8 and lib.integrity_check() == "ok"


@pytest.mark.slow
@pytest.mark.corpus
def test_every_malformed_corpus_file_is_reported_and_skipped(
    corpus: Path, tmp_path: Path, folder: Path
) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    names = [
        f["name"]
        for f in manifest["files"]
        if f["category"] in ("malformed/odd", "metadata-stub", "image-malformed/odd")
    ]
    assert len(names) >= 30
    bad = tmp_path / "bad"
    bad.mkdir()
    for n in names:
        shutil.copy(corpus / "files" / n, bad / n)
    db = tmp_path / "lib.db"
    started = time.monotonic()
    code, out, _ = run(
        "hash", *[str(bad / n) for n in names], "--library", str(db), "--json", "--workers", "2"
    )
    lines = json_lines(out)
    assert code in (0, EXIT_PARTIAL) and len(lines) == len(names)  # every file reported, one line each
    assert {Path(r["path"]).name for r in lines} == set(names)
    for r in lines:
        assert r["status"] in ("added", "failed")
        if r["status"] == "failed":  # a clear message that names the file
            assert Path(r["path"]).name in r["message"] and r["error"] and "unexpected" not in r["message"]
    assert any(r["status"] == "failed" for r in lines) and time.monotonic() - started < 280
    with Library(db) as lib:  # intact and usable
        assert lib.integrity_check() == "ok"
        assert len(lib) == sum(r["status"] == "added" for r in lines)
        assert lib.add(folder / "a.mp4").status == "added"
        assert lib.integrity_check() == "ok"


def test_find_media_walks_folders_by_extension_and_content(folder: Path, tmp_path: Path) -> None:
    from verify.library import find_media

    d = tmp_path / "mixed"
    (d / ".git").mkdir(parents=True)
    shutil.copy(folder / "a.mp4", d / "download.bin")  # a video with a meaningless name
    shutil.copy(folder / "a.mp4", d / ".git" / "x.mp4")  # hidden folders are skipped
    (d / "notes.dat").write_text("plain text")
    (d / "z.MOV").write_bytes(b"\x00" * 10)  # by extension, whatever is inside (it will fail later, reported)
    found = [p.name for p in find_media([d, folder / "README.txt", d / "download.bin"])]
    assert found == ["download.bin", "z.MOV", "README.txt"]  # explicit files always, duplicates once


@dataclass(frozen=True)
class CrashingSettings(FingerprintSettings):
    """Settings whose check kills the (worker) process while the marker file says so."""

    marker: str = ""

    def check(self) -> None:
        marker = Path(self.marker)
        if marker.exists():
            # both workers can get here at once: the second must crash too, not fail on the file
            try:
                if marker.read_text() == "once":
                    marker.unlink(missing_ok=True)
            except FileNotFoundError:
                pass  # the other worker took the "once" marker a moment ago
            os._exit(1)  # what a segfault in a decoder looks like to the parent
        super().check()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["once", "always"])
def test_a_worker_that_dies_is_replaced_and_its_files_retried_once(
    folder: Path, tmp_path: Path, mode: str
) -> None:
    marker = tmp_path / "crash"
    marker.write_text(mode)
    files = [folder / "a.mp4", folder / "b.mp4"]
    with Library(tmp_path / "crash.db") as lib:
        results = list(ingest(files, lib, settings=CrashingSettings(marker=str(marker)), workers=2))
        assert sorted(Path(r.path).name for r in results) == ["a.mp4", "b.mp4"]  # one result per file
        if mode == "once":  # the crash took the pool down; the retry in a new pool succeeds
            assert [r.status for r in results] == ["added", "added"] and len(lib) == 2
            assert not marker.exists()  # a worker did die
        else:  # crashes again: reported and skipped, the library untouched
            assert {r.error for r in results} == {"WorkerCrashed"} and len(lib) == 0
            assert all("worker process died" in r.message and r.path in r.message for r in results)
        assert lib.integrity_check() == "ok"
