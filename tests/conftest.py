"""Shared fixtures: generated media, the corpus path, a temporary library."""

from __future__ import annotations

import os
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
