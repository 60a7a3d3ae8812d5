"""Several processes on one library (SQLite file, PostgreSQL schema): concurrent writers, kills
mid-write, resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from verify.library import Library

ROOT = Path(__file__).resolve().parent.parent

# A writer process: adds N synthetic fingerprints (distinct files) as fast as it can.
WRITER = r"""
import sys, numpy as np
from pathlib import Path
from verify.fingerprint import Fingerprint, FingerprintSettings
from verify.library import Library, Provenance
db, tag, n, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
lib = Library(db, busy_seconds=60)
for i in range(n):
    p = folder / f"{tag}-{i}.bin"
    p.write_bytes(f"{tag} {i}".encode())
    rng = np.random.default_rng(i)
    fp = Fingerprint("phash-64/v1", FingerprintSettings(variants=("full",)), np.arange(2000) / 30.0,
                     rng.integers(0, 2**63, size=(2000, 1), dtype=np.uint64), np.ones(2000, bool), duration=66.6)
    r = lib.add_fingerprint(fp, p, Provenance(f"{tag} {i}"))
    print(r.status, r.reference.id, flush=True)
    lib.references()  # readers interleave with the other writer
print("done", flush=True)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Where the library lives: an SQLite file that does not exist yet, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield tmp_path / "shared.db"
        return
    from tests.pg import schema_url

    monkeypatch.setenv("HOME", str(tmp_path))  # the index of a PostgreSQL library: ~/.cache
    with schema_url() as url:
        yield url


def _run_writer(db: Path | str, tag: str, n: int, folder: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), tag, str(n), str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.slow
def test_two_processes_write_the_same_library_at_once(tmp_path: Path, target: Path | str) -> None:
    db = target  # both processes create it at the same moment, too
    procs = [_run_writer(db, tag, 25, tmp_path) for tag in ("a", "b")]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "locked" not in err and out.strip().endswith("done")
        assert out.count("added") == 25
    with Library(db) as lib:
        titles = sorted(r.provenance.title for r in lib.references())
        assert titles == sorted(f"{t} {i}" for t in "ab" for i in range(25))
        assert lib.integrity_check() == "ok" and lib.generation == 50
        assert len(lib.hash_table("phash-64/v1")) == 50 * 2000


@pytest.mark.slow
def test_sigkill_mid_write_keeps_committed_references_and_resumes(tmp_path: Path, target: Path | str) -> None:
    db = target
    proc = _run_writer(db, "k", 400, tmp_path)
    committed: list[int] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while len(committed) < 5 and time.monotonic() < deadline:  # let a few commits through, then kill
        line = proc.stdout.readline()
        if line.startswith("added"):
            committed.append(int(line.split()[1]))
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)  # reaps it and closes its pipes
    assert proc.returncode == -signal.SIGKILL and len(committed) == 5
    with Library(db) as lib:
        assert lib.integrity_check() == "ok"
        ids = [r.id for r in lib.references()]
        assert set(committed) <= set(ids)  # nothing committed was lost
        for rid in ids:  # and whatever is there is whole: a reference always has its fingerprint
            assert len(lib.fingerprint_of(rid)) == 2000
        n_before = len(ids)
    # resume: the same writer adds the rest; what was committed reads as "exists"
    again = _run_writer(db, "k", n_before + 3, tmp_path)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    statuses = [line.split()[0] for line in out.splitlines() if line and line != "done"]
    assert statuses == ["exists"] * n_before + ["added"] * 3
    with Library(db) as lib:
        assert len(lib) == n_before + 3 and lib.integrity_check() == "ok"


def test_reader_sees_consistent_snapshot_while_writer_commits(tmp_path: Path) -> None:
    db = tmp_path / "rw.db"
    with Library(db) as writer, Library(db) as reader:
        p = tmp_path / "x.bin"
        p.write_bytes(b"x")
        gen = reader.generation
        from tests.test_library import make_fp

        writer.add_fingerprint(make_fp(3), p)
        assert reader.generation == gen + 1 and len(reader) == 1  # WAL: the reader never blocks
        assert json.loads(json.dumps(reader.stats().hashes)) == {"phash-64/v1": 100}


@pytest.mark.slow
def test_two_verify_hash_processes_into_one_new_library(tmp_path: Path) -> None:
    from tests import media

    folders = []
    for tag, seed in (("x", 50), ("y", 60)):
        d = tmp_path / tag
        d.mkdir()
        for i in range(3):
            media.make_video(d / f"{tag}{i}.mp4", seconds=1.0, fps=15, painter=media.textured(seed=seed + i))
        folders.append(d)
    db = tmp_path / "both.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "verify", "hash", str(d), "--library", str(db), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for d in folders
    ]
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0 and "locked" not in err, err
        assert [json.loads(line)["status"] for line in out.splitlines()] == ["added"] * 3
    with Library(db) as lib:
        assert len(lib) == 6 and lib.integrity_check() == "ok"
