"""Shared fixtures: generated media, the corpus path, a temporary library."""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import media

ROOT = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path | None:
    """The shared corpus (``VERIFY_CORPUS``, else ../shared/corpus), or None."""
    env = os.environ.get("VERIFY_CORPUS")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "corpus")
    for c in candidates:
        if (c / "files").is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def corpus() -> Path:
    """Folder holding the corpus ``files/`` and ``manifest.json``; skips when absent."""
    c = corpus_dir()
    if c is None:
        pytest.skip("the shared corpus is not here (set VERIFY_CORPUS)")
    return c


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s 160x120 H.264 clip of a moving textured scene."""
    return media.make_video(tmp_path_factory.mktemp("media") / "clip.mp4")


@pytest.fixture(scope="session")
def shot_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s clip with hard cuts at 1 s and 2 s."""
    return media.make_video(
        tmp_path_factory.mktemp("media") / "shots.mp4", seconds=3.0, painter=media.shots(cut_every=1.0)
    )


# -- leaks: a test that leaves files open or child processes running fails ---------------------


def _open_files() -> set[str]:
    """Regular files this process holds open (sockets, pipes and devices are not files)."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("/") and not target.startswith(("/dev/", "/proc/")) and os.path.isfile(target):
            out.add(f"{fd}:{target}")
    return out


#: Interpreter-wide helpers the standard library starts once and keeps for reuse (their lifetime,
#: kill -9 of the parent included, is tested on its own in tests/test_cli_hash.py).
_KEPT_HELPERS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")


def _is_kept_helper(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return any(h in cmd for h in _KEPT_HELPERS)


def _children() -> set[int]:
    me = str(os.getpid())
    kids = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z" and not _is_kept_helper(pid):
            kids.add(int(pid))
    return kids


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """Fail a test that leaks open files or child processes (the library must clean up after itself)."""
    if not Path("/proc/self/fd").is_dir():  # not Linux: nothing to check with
        yield
        return
    files, kids = _open_files(), _children()
    yield
    jobs = sys.modules.get("ui.jobs")
    if jobs is not None and jobs._runner is not None:  # the workbench's background work finishes first
        jobs.runner().wait_idle(300)
    gc.collect()
    leaked = _open_files() - files
    deadline = time.monotonic() + 5.0
    while (stray := _children() - kids) and time.monotonic() < deadline:
        time.sleep(0.05)  # a child that is exiting gets a moment to go
    assert not leaked, f"the test left files open: {sorted(leaked)}"
    assert not stray, f"the test left child processes running: {sorted(stray)}"
