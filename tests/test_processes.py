"""Worker processes die with their parent, even on ``kill -9``, and Ctrl-C always exits 130.

``verify hash --workers 2`` starts a fork server, a resource tracker and two workers. Killed
with SIGKILL mid-batch, the parent cannot clean up: the children must go by themselves
(PR_SET_PDEATHSIG chain: fork server -> parent, workers -> fork server; the resource tracker
exits when the last of them is gone). Processes are found by session (the test starts verify
in a new session, which every child inherits), by scanning /proc.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import media
from tests.runner import ROOT
from verify.library import Library

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc"),
]


def session_members(sid: int) -> list[tuple[int, str]]:
    """Live (not zombie) processes of session ``sid``: (pid, command line)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # state ppid pgrp session ...
        if fields[0] != "Z" and int(fields[3]) == sid:
            out.append((int(entry), cmd.strip()))
    return out


def wait_gone(sid: int, seconds: float = 20.0) -> list[tuple[int, str]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = session_members(sid)
        if not left:
            return []
        time.sleep(0.1)
    return session_members(sid)


#: Clips in the batch: enough that five kills, each landing after one or more commits (two workers
#: can finish between the first "added" line and the kill), never let the whole batch finish.
CLIPS = 20


@pytest.fixture(scope="module")
def batch_clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("kill-clips")
    for i in range(CLIPS):
        media.make_video(src / f"k{i:02d}.mp4", seconds=3.0, fps=25, painter=media.textured(seed=100 + i))
    return src


def _start(src: Path, db: Path, **kw) -> subprocess.Popen:  # type: ignore[type-arg, no-untyped-def]
    cmd = [sys.executable, "-m", "verify", "hash", str(src), "--library", str(db), "--json", "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, **kw)  # fmt: skip


def test_kill_9_mid_batch_five_times_leaves_nothing_behind_and_resumes(
    batch_clips: Path, tmp_path: Path
) -> None:
    db = tmp_path / "k9.db"
    committed: set[str] = set()
    rounds = []
    for _ in range(5):
        proc = _start(batch_clips, db)
        assert proc.stdout is not None and proc.stderr is not None
        added = None
        for line in proc.stdout:  # files already known come back as "exists" first
            record = json.loads(line)
            if record["status"] == "added":
                added = record
                break
        assert added is not None, proc.stderr.read()
        assert len(session_members(proc.pid)) >= 4  # verify, fork server, resource tracker, workers
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
        left = wait_gone(proc.pid)
        assert left == [], f"left behind after kill -9: {left}"
        with Library(db) as lib:
            assert lib.integrity_check() == "ok"
            now = {r.path for r in lib.references()}
        assert added["path"] in now and committed <= now
        rounds.append(len(now) - len(committed))
        committed = now
    assert len(committed) < CLIPS  # every round was killed before the batch ended
    rerun = subprocess.run([sys.executable, "-m", "verify", "hash", str(batch_clips), "--library", str(db), "--json"],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    lines = [json.loads(x) for x in rerun.stdout.splitlines()]
    assert {r["path"] for r in lines if r["status"] == "exists"} == committed
    assert sum(r["status"] == "added" for r in lines) == CLIPS - len(committed)
    with Library(db) as lib:
        assert len(lib) == CLIPS and lib.integrity_check() == "ok"


@pytest.mark.parametrize("when", ["at-start", "after-first-result", "group-after-first-result"])
def test_ctrl_c_with_workers_exits_130(batch_clips: Path, tmp_path: Path, when: str) -> None:
    for attempt in range(2):
        db = tmp_path / f"int-{when}-{attempt}.db"
        proc = _start(batch_clips, db)
        assert proc.stdout is not None
        if when == "at-start":
            time.sleep(1.0 + 0.4 * attempt)  # while the fork server and the workers start
        else:
            json.loads(proc.stdout.readline())
        if when.startswith("group"):
            os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole foreground group
        else:
            os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, (attempt, proc.returncode, err)
        assert err.strip().splitlines()[-1] == "interrupted", err
        assert "Traceback" not in err
        assert wait_gone(proc.pid) == []
        with Library(db) as lib:
            assert lib.integrity_check() == "ok"
