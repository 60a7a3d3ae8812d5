"""Text on screen: OCR of a clip's frames with a local engine, de-duplicated, with leads.

``read_text(frames, settings) -> OcrResult`` takes frames as ``(time, image)`` pairs or objects
with ``.time`` and ``.image`` (``verify.frames.Frame``, ``verify.shots.Keyframe``); images in
the frame format of :mod:`verify.frames` (RGB ``uint8`` (h, w, 3), or gray). It does no I/O.
Each text becomes one :class:`TextItem` with its time span (first and last frame it was read
in), its box in normalised frame coordinates and its confidence, the same text at about the same
place across frames merged (:mod:`.merge`); :mod:`.leads` picks out handles, URLs, hashtags,
dates, clock times and watermarks. ``ocr_file(path)`` runs it on a file's keyframes.

The engine (:mod:`.engine`) is RapidOCR on ONNX Runtime with the models inside the rapidocr
wheel; nothing is downloaded, and nothing leaves the machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from .engine import LANGUAGES, Engine, OcrSettings, get_engine
from .leads import find_leads
from .merge import merge
from .model import SCHEMA_VERSION, Detection, Lead, OcrResult, TextItem

__all__ = [
    "LANGUAGES",
    "SCHEMA_VERSION",
    "Detection",
    "Engine",
    "Lead",
    "OcrResult",
    "OcrSettings",
    "TextItem",
    "get_engine",
    "ocr_file",
    "read_keyframes",
    "read_text",
]

Progress = Callable[[float, float], None]


def _pairs(frames: Iterable[Any]) -> list[tuple[float, np.ndarray]]:
    out = []
    for f in frames:
        if isinstance(f, tuple) and len(f) == 2:
            t, img = f
        else:
            t, img = f.time, f.image
        if img is None:
            continue
        out.append((float(t), img))
    return out


def read_text(
    frames: Iterable[Any],
    settings: OcrSettings | None = None,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> OcrResult:
    """The text on screen of ``frames`` (see the module docstring). No I/O."""
    pairs = _pairs(frames)
    eng = engine or get_engine(settings)
    readings: list[tuple[float, Detection]] = []
    start = time.perf_counter()
    for i, (t, img) in enumerate(pairs):
        readings += [(t, d) for d in eng.read(img)]
        if progress is not None:
            progress(i + 1, len(pairs))
    seconds = time.perf_counter() - start
    items = merge(readings)
    return OcrResult(
        engine=eng.id,
        languages=LANGUAGES,
        frames_read=len(pairs),
        times=tuple(round(t, 3) for t, _ in pairs),
        items=tuple(items),
        leads=tuple(find_leads(items, len(pairs))),
        seconds=round(seconds, 3),
        settings=asdict(eng.settings),
    )


def _spread(items: Sequence[Any], n: int) -> list[Any]:
    if len(items) <= n:
        return list(items)
    step = (len(items) - 1) / max(1, n - 1)
    return [items[round(i * step)] for i in range(n)]


def ocr_file(
    path: str | Path,
    settings: OcrSettings | None = None,
    *,
    max_keyframes: int = 24,
    size: int = 960,
    progress: Progress | None = None,
) -> OcrResult:
    """OCR of a file's keyframes: those of its analysis decode (``verify.analysis``, pictures of
    longest side ``size``), at most ``max_keyframes`` of them, evenly spread."""
    from ..analysis import AnalysisSettings, begin, decode

    def kf_progress(done: float, total: float) -> None:
        if progress is not None:
            progress(0.3 * (done / total if total else 0.0), 1.0)

    def ocr_progress(done: float, total: float) -> None:
        if progress is not None:
            progress(0.3 + 0.7 * (done / total if total else 1.0), 1.0)

    a = decode(begin(path, settings=AnalysisSettings(picture_side=size)), progress=kf_progress)
    return read_keyframes(a, settings, max_keyframes=max_keyframes, progress=ocr_progress)


def read_keyframes(
    analysis: Any,
    settings: OcrSettings | None = None,
    *,
    max_keyframes: int = 24,
    progress: Progress | None = None,
    in_child: bool = False,
) -> OcrResult:
    """OCR of an :class:`verify.analysis.Analysis`'s keyframes (their kept pictures; no decode).

    ``in_child``: run the engine in a child process (``verify.ocr.child``), so this process never
    holds it (the workbench's server does this)."""
    from ..pictures import decode as decode_picture

    kept = [
        (k.time, analysis.images[k.image.name])
        for k in _spread(list(analysis.keyframes), max_keyframes)
        if k.image is not None and k.image.name in analysis.images
    ]
    if in_child:
        from .child import read_in_child

        return read_in_child(kept, settings, progress=progress)
    return read_text([(t, decode_picture(jpeg)) for t, jpeg in kept], settings, progress=progress)
