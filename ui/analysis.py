"""The analysis of the file under examination, staged and cached by sha256.

Stage 1 (sha256 + ``verify.probe``) runs while the page waits, with a progress bar: the
Overview needs it. Stage 2 (keyframes, ``verify.shots``) and stage 3 (matching against the
active library, ``verify.matching``) run in the background (:mod:`ui.jobs`), so the analyst can
read the Overview and Metadata while they run. Every result is kept per sha256 (matches per
sha256 *and* library state), so a file is analysed once per process however often it is opened.

This module only calls ``verify`` and packages what it returns for display.
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from verify.frames import Sampling, sample_times
from verify.library import Library
from verify.matching import match_file

from . import jobs
from .files import Loaded

log = logging.getLogger("verify")

#: Keyframes kept for the grid (the long side of each JPEG is bounded below).
MAX_KEYFRAMES = 36
GRID_SIDE = 640
PAIR_SIDE = 480
PAIRS_PER_MATCH = 4
TOP_MATCHES = 10

Progress = Callable[[float, float], None]


@dataclass(frozen=True)
class KeyframeView:
    time: float
    index: int
    shot: int
    jpeg: bytes
    width: int
    height: int


@dataclass(frozen=True)
class PairView:
    query_time: float
    reference_time: float
    distance: int
    variant: str
    query_jpeg: bytes | None
    reference_jpeg: bytes | None


@dataclass(frozen=True)
class MatchView:
    """A ``verify.matching.MatchResult`` and the library it was matched against."""

    result: Any
    library_path: str
    library_references: int


class _LRU:
    def __init__(self, size: int) -> None:
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_probes = _LRU(32)


def jpeg(image: np.ndarray | Image.Image, max_side: int | None = None, quality: int = 85) -> bytes:
    """RGB array or PIL image → JPEG bytes (display only; verify's encoders are used for reports)."""
    img = image if isinstance(image, Image.Image) else Image.fromarray(np.ascontiguousarray(image))
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    if max_side and max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


# -- stage 1: probe (synchronous) -----------------------------------------------------------


def cached_probe(sha256: str) -> Any:
    return _probes.get(sha256)


def probe_file(loaded: Loaded) -> Any:
    """``verify.probe.probe`` once per sha256 (raises verify's errors)."""
    hit = _probes.get(loaded.sha256)
    if hit is not None:
        return hit
    from verify.probe import probe

    info = probe(loaded.path)
    _probes.put(loaded.sha256, info)
    return info


def is_still(info: Any) -> bool:
    f = getattr(info, "file", None)
    return bool(f is not None and f.kind == "image")


# -- stage 2: keyframes (background) --------------------------------------------------------


def still_picture(path: Path) -> list[KeyframeView]:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # pragma: no cover - pillow-heif is installed with the requirements
        pass
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        w, h = im.size
        return [KeyframeView(0.0, 0, 0, jpeg(im, GRID_SIDE), w, h)]


def _video_keyframes(path: Path, task: jobs.Task) -> list[KeyframeView]:
    from verify import shots

    frames = [
        kf for kf in shots.keyframes(path, size=GRID_SIDE, progress=task.progress) if kf.image is not None
    ]
    out = []
    for kf in _pick(frames, MAX_KEYFRAMES):
        img = np.asarray(kf.image)
        out.append(
            KeyframeView(float(kf.time), int(kf.index), int(kf.shot), jpeg(img), img.shape[1], img.shape[0])
        )
    return out


def keyframes_key(sha256: str) -> str:
    return f"keyframes:{sha256}"


def start_keyframes(loaded: Loaded, still: bool) -> jobs.Task:
    def work(task: jobs.Task) -> list[KeyframeView]:
        task.set_stage("Finding shots and keyframes")
        return still_picture(loaded.path) if still else _video_keyframes(loaded.path, task)

    return jobs.runner().submit(
        keyframes_key(loaded.sha256), f"Keyframes of {loaded.name}", work, loaded.sha256
    )


def full_frame(path: Path, time: float, still: bool) -> np.ndarray:
    """The picture at ``time`` at full resolution (for the enlarged view and downloads)."""
    if still:
        with Image.open(path) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    frames = sample_times(path, [time])
    if not frames:
        raise ValueError(f"no frame at {time:.3f} s")
    return frames[0].image


# -- stage 3: matching (background) ---------------------------------------------------------


def library_state(path: Path) -> str:
    """Identifies the library's content: its id and generation (which every add or remove bumps)."""
    with Library(path, create=False) as lib:
        return f"{path}|{lib.library_id}|{lib.generation}"


def match_key(sha256: str, library_path: Path) -> str:
    return f"match:{sha256}:{library_state(library_path)}"


def _pick(items: list[Any], n: int) -> list[Any]:
    if len(items) <= n:
        return list(items)
    step = (len(items) - 1) / max(1, n - 1)
    return [items[round(i * step)] for i in range(n)]


def _frames_at(path: Path, times: list[float]) -> dict[float, bytes]:
    if not times or not path.is_file():
        return {}
    frames = sample_times(path, times, Sampling(max_side=PAIR_SIDE))
    out: dict[float, bytes] = {}
    for t in times:
        best = min(frames, key=lambda f, t=t: abs(f.time - t), default=None)
        if best is not None:
            out[t] = jpeg(best.image)
    return out


def _pairs_for(query: Path, match: Any) -> tuple[PairView, ...]:
    evidence = _pick(sorted(match.evidence, key=lambda e: e.query_time), PAIRS_PER_MATCH)
    q = _frames_at(query, [float(e.query_time) for e in evidence])
    try:
        r = _frames_at(Path(match.reference.path), [float(e.reference_time) for e in evidence])
    except Exception as exc:  # noqa: BLE001 - a missing/damaged reference file must not hide the match
        log.warning("reference frames of %s unavailable: %s", match.reference.path, exc)
        r = {}
    return tuple(
        PairView(
            float(e.query_time),
            float(e.reference_time),
            int(e.distance),
            str(e.variant),
            q.get(float(e.query_time)),
            r.get(float(e.reference_time)),
        )
        for e in evidence
    )


def start_match(loaded: Loaded, library_path: Path) -> jobs.Task:
    """Matching alone: the answer shows as soon as it is known; frame pairs follow (:func:`start_pairs`)."""

    def work(task: jobs.Task) -> MatchView:
        task.set_stage("Fingerprinting and matching against the library")
        with Library(library_path) as lib:
            result = match_file(loaded.path, lib, top=TOP_MATCHES, progress=task.progress)
        return MatchView(result, str(library_path), int(result.library_references))

    return jobs.runner().submit(
        match_key(loaded.sha256, library_path), f"Matching {loaded.name}", work, loaded.sha256
    )


def pairs_key(match_task_key: str) -> str:
    return f"pairs:{match_task_key}"


def start_pairs(loaded: Loaded, match_task: jobs.Task) -> jobs.Task:
    """The evidence frame pairs of every match (decoded from the clip and each reference file)."""
    view: MatchView = match_task.result

    def work(task: jobs.Task) -> tuple[tuple[PairView, ...], ...]:
        task.set_stage("Cutting evidence frame pairs")
        pairs = []
        for i, m in enumerate(view.result.matches):
            pairs.append(_pairs_for(loaded.path, m))
            task.progress(i + 1, len(view.result.matches))
        return tuple(pairs)

    return jobs.runner().submit(
        pairs_key(match_task.key), f"Frame pairs of {loaded.name}", work, loaded.sha256
    )
