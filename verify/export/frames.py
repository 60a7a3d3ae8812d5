"""Frames of a clip as image files named by their time, with an ``index.json`` (``verify frames``).

``export_frames(path, out_dir, mode=...) -> FrameIndex``. Modes:

* ``shots``: the keyframes of an analysis decode (one per shot, more in long shots; the same
  choice as the workbench's Keyframes page, made on every frame for exact cuts);
* ``fps``: N frames a second; ``keyframes``: the encoder's keyframes (fast).

Names look like ``clip_t000012.345_s003.jpg`` (seconds from the start of the video as a player
shows it, shot 3). Files are written only inside ``out_dir`` (see :mod:`.paths`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..digest import sha256_file
from ..errors import UnsafePathError
from ..frames import DecodeStats, Sampling, iter_frames
from ..ocr.model import OcrResult
from ..pictures import decode, encode
from ..serial import to_jsonable
from ..text import json_text
from . import paths

SCHEMA_VERSION = 1
MODES = ("shots", "fps", "keyframes")

Progress = Callable[[float, float], None]


@dataclass(frozen=True)
class FrameFile:
    file: str
    time: float  # seconds from the stream start
    pts_time: float  # the frame's own presentation time
    index: int
    shot: int | None = None
    shot_start: float | None = None
    shot_end: float | None = None


@dataclass(frozen=True)
class FrameIndex:
    """What ``index.json`` holds."""

    source: str
    sha256: str
    mode: str
    fps: float | None
    start_time: float
    frames_decoded: int
    corrupt_frames_skipped: int
    rotation: int
    shots: int | None
    images: tuple[FrameFile, ...]
    schema_version: int = SCHEMA_VERSION
    ocr: OcrResult | None = None  # text on screen of these frames (``--ocr``)


def stem_of(path: Path) -> str:
    """A safe file-name prefix from an untrusted name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._")[:60] or "frame"


def frame_name(stem: str, time: float, shot: int | None, fmt: str) -> str:
    tag = f"_s{shot:03d}" if shot is not None else ""
    return f"{stem}_t{max(time, 0.0):010.3f}{tag}.{fmt}"


def _shots(path: Path, size: int, progress: Progress | None) -> tuple[list[tuple[FrameFile, bytes]], dict]:
    from ..analysis import AnalysisSettings, begin
    from ..analysis import decode as decode_stage
    from ..fingerprint import FingerprintSettings

    settings = AnalysisSettings(
        fingerprint=FingerprintSettings(fps=None, variants=("full",)),
        picture_side=size,
        max_keyframes=1000,
        picture_budget=256 << 20,
    )
    a = begin(path, settings=settings)
    a = decode_stage(a, progress=progress, every=0.2)
    if a.fingerprint is None:
        from ..errors import NoVideoStreamError

        raise NoVideoStreamError(a.problems[-1] if a.problems else "no picture", path=path)
    start = a.fingerprint.start_time
    items = [
        (
            FrameFile("", k.time, k.time + start, k.index, k.shot, k.shot_start, k.shot_end),
            a.images[k.image.name],
        )
        for k in a.keyframes
        if k.image is not None
    ]
    facts = {
        "sha256": a.sha256,
        "start_time": start,
        "decoded": a.fingerprint.decoded_frames,
        "corrupt": a.fingerprint.corrupt_frames,
        "rotation": a.probe.rotation,
    }
    return items, facts


def export_frames(
    path: str | Path,
    out_dir: str | Path,
    *,
    mode: str = "shots",
    fps: float = 1.0,
    fmt: str = "jpg",
    size: int = 640,
    ocr: bool = False,
    progress: Progress | None = None,
) -> FrameIndex:
    """Write the frames of ``path`` into ``out_dir`` and its ``index.json``; return the index.

    ``ocr`` also reads the text on screen of the frames written (``verify.ocr``; no second decode)."""
    if mode not in MODES:
        raise ValueError(f"unknown frames mode {mode!r}")
    p = Path(path)
    out = Path(out_dir)
    if out.is_symlink() or (out.exists() and not out.is_dir()):  # before decoding anything
        raise UnsafePathError("is a link or a file, not a folder; frames go into a folder", path=out)
    if mode == "shots":
        items, facts = _shots(p, size, progress)
    else:
        stats = DecodeStats()
        sampling = Sampling(mode="fps" if mode == "fps" else "keyframes", fps=fps, max_side=size)
        items = [
            (FrameFile("", f.time - stats.start_time, f.time, f.index), encode(f.image, "jpeg", quality=90))
            for f in iter_frames(p, sampling, stats=stats, progress=progress)
        ]
        facts = {"sha256": sha256_file(p), "start_time": stats.start_time, "decoded": stats.decoded,
                 "corrupt": stats.corrupt, "rotation": stats.rotation}  # fmt: skip
    folder = paths.folder(out_dir)
    stem = stem_of(p)
    written = []
    for item, jpeg in items:
        name = frame_name(stem, item.time, item.shot, fmt)
        data = jpeg if fmt == "jpg" else encode(decode(jpeg), "png")
        paths.write_bytes(paths.target(folder, name), data)
        written.append(FrameFile(name, item.time, item.pts_time, item.index, item.shot, item.shot_start,
                                 item.shot_end))  # fmt: skip
    text = None
    if ocr:
        from ..ocr import read_text

        text = read_text([(item.time, decode(jpeg)) for item, jpeg in items])
    index = FrameIndex(
        source=p.name,
        sha256=str(facts["sha256"]),
        mode=mode,
        fps=fps if mode == "fps" else None,
        start_time=float(facts["start_time"]),
        frames_decoded=int(facts["decoded"]),
        corrupt_frames_skipped=int(facts["corrupt"]),
        rotation=int(facts["rotation"]),
        shots=len({f.shot for f in written if f.shot is not None}) if mode == "shots" else None,
        images=tuple(written),
        ocr=text,
    )
    record = json_text(to_jsonable(index), indent=2)  # file names that are not UTF-8 stay writable
    paths.write_bytes(paths.target(folder, "index.json"), record.encode())
    return index
