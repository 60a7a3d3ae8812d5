"""Adapters from the analysis stages (probe, shots, library) to report records.

The report keeps its own small record types so that a saved report stays
readable whatever the stage modules become; this module is the one place that
knows their shapes. When ``verify.probe`` / ``verify.shots`` are not available a
minimal PyAV reading / even sampling is used instead (the custody log says so).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..errors import NotMediaError, NoVideoStreamError
from ..frames import Sampling, iter_frames
from ..serial import to_jsonable
from .images import THUMB_SIDE
from .model import ReferenceInfo, Signal

log = logging.getLogger("verify")


class _Frame(NamedTuple):
    time: float
    index: int
    shot: int
    image: np.ndarray


def _signal(s: Any) -> Signal:
    if isinstance(s, dict):
        data = s
    else:
        data = to_jsonable(s) if hasattr(s, "__dataclass_fields__") else {"message": str(s)}
    kind = data.get("kind") or data.get("code") or data.get("name") or data.get("id") or type(s).__name__
    fields = data.get("fields", data.get("evidence", {}))
    if not isinstance(fields, dict):
        fields = {"fields": fields}
    message = data.get("explanation") or data.get("message") or data.get("text") or data.get("detail") or ""
    if data.get("title"):
        message = f"{data['title']}: {message}" if message else str(data["title"])
    return Signal(str(kind), str(data.get("severity", "info")), str(message), fields)


def probe_record(path: Path) -> tuple[dict[str, Any], tuple[Signal, ...], str]:
    """(probe record as JSON values, provenance signals, custody detail)."""
    from ..probe import probe

    info = probe(path)
    record = to_jsonable(info)
    if not isinstance(record, dict):
        record = {"record": record}
    record = {"summary": to_jsonable(info.summary()), **record}
    signals = tuple(_signal(s) for s in info.signals)
    return record, signals, f"verify.probe: {len(signals)} provenance signal(s)"


def _still(path: Path) -> np.ndarray:
    """A still picture, upright (EXIF orientation applied), as RGB."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as pic:
            return np.asarray(ImageOps.exif_transpose(pic).convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise NotMediaError(f"the picture cannot be read ({exc})", path=path) from exc


def _thin(frames: list[Any], limit: int) -> list[Any]:
    if len(frames) <= limit:
        return frames
    step = len(frames) / limit
    return [frames[int(i * step)] for i in range(limit)]


def keyframe_frames(path: Path, limit: int, kind: str | None = None) -> tuple[list[Any], str]:
    """Keyframes (objects with time, index, shot, image) and how they were chosen.

    ``kind`` is the probe's file type: a still is its own single keyframe; a file with
    no video stream (audio only) has none.
    """
    if kind == "image":
        return [_Frame(0.0, 0, 0, _still(path))], "the still picture itself"
    try:
        from ..shots import keyframes
    except ImportError:
        keyframes = None
    try:
        if keyframes is not None:
            return _thin(list(keyframes(path)), limit), "one per shot (verify.shots)"
        frames = list(iter_frames(path, Sampling(mode="fps", fps=1.0, max_side=THUMB_SIDE)))
    except NoVideoStreamError:
        return [], "none: the file has no video stream"
    frames = _thin(frames, limit)
    return [_Frame(f.time, f.index, i, f.image) for i, f in enumerate(frames)], "1 per second (even sampling)"


def reference_info(ref: Any) -> ReferenceInfo:
    """A ``verify.library.Reference`` (or anything shaped like it) as a report record."""
    prov = getattr(ref, "provenance", None)

    def pv(name: str) -> str:
        return str(getattr(prov, name, "") or "")

    return ReferenceInfo(
        id=int(getattr(ref, "id", 0) or 0),
        sha256=str(getattr(ref, "sha256", "") or ""),
        path=str(getattr(ref, "path", "") or ""),
        title=pv("title"),
        source_url=pv("source_url"),
        first_seen=pv("first_seen"),
        found_at=pv("found_at"),
        description=pv("description"),
        tags=tuple(str(t) for t in (getattr(prov, "tags", ()) or ())),
        notes=pv("notes"),
        duration=float(getattr(ref, "duration", 0.0) or 0.0),
    )
