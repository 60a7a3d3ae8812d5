"""Run the analysis pipeline on one file and record it as a :class:`Report`.

``build_report`` hashes the file, probes it, samples keyframes, matches it
against a library (when given), cuts the evidence frame pairs of each match and
logs every step in the chain-of-custody log.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import LibraryNotFoundError, VerifyError
from ..frames import Frame, Sampling, check_file, sample_times
from ..notes import Notes, utc_now
from ..serial import to_jsonable
from .custody import CustodyLog
from .images import THUMB_SIDE, add_image
from .model import FileRecord, FramePair, KeyframeRecord, LibraryInfo, MatchRecord, Report
from .probing import keyframe_frames, probe_record, reference_info

log = logging.getLogger("verify")

Progress = Callable[[float, float], None]
_PACKAGES = (
    "av",
    "numpy",
    "imagehash",
    "opencv-python-headless",
    "pillow",
    "exifread",
    "c2pa-python",
    "faiss-cpu",
    "reportlab",
    "ffmpeg-python",
    "imageio-ffmpeg",
)


def versions() -> dict[str, str]:
    """Versions of verify, Python, FFmpeg (inside PyAV) and the libraries that shape results."""
    out = {"verify": __version__, "python": platform.python_version(), "platform": platform.platform()}
    try:
        import av

        out["ffmpeg"] = str(getattr(av, "ffmpeg_version_info", "") or "")
        out["libavcodec"] = ".".join(map(str, av.library_versions.get("libavcodec", ())))
    except (ImportError, AttributeError):  # pragma: no cover - av is a hard dependency
        pass
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def case_id_for(sha256: str, when: str) -> str:
    return f"VER-{when[:10].replace('-', '')}-{sha256[:8]}"


def open_library(library: Any) -> Any:
    if library is None or not isinstance(library, (str, Path)):
        return library
    p = Path(library)
    if not p.exists():
        raise LibraryNotFoundError("no such library", path=p)
    from ..library import Library

    return Library(p, create=False)


def _pick(items: Sequence[Any], n: int) -> list[Any]:
    if len(items) <= n:
        return list(items)
    step = (len(items) - 1) / max(1, n - 1)
    return [items[round(i * step)] for i in range(n)]


def _nearest(frames: list[Frame], t: float) -> Frame | None:
    return min(frames, key=lambda f: abs(f.time - t), default=None)


def _frames_at(path: Path, times: list[float]) -> list[Frame]:
    if not times:
        return []
    try:
        return sample_times(path, times, Sampling(max_side=THUMB_SIDE))
    except VerifyError as exc:
        log.warning("evidence frames from %s unavailable: %s", path, exc)
        return []


def _match_record(path: Path, m: Any, number: int, images: dict[str, bytes], pairs: int) -> MatchRecord:
    evidence = _pick(sorted(m.evidence, key=lambda e: e.query_time), pairs)
    ref = reference_info(m.reference)
    qframes = _frames_at(path, [e.query_time for e in evidence])
    ref_path = Path(ref.path)
    rframes = _frames_at(ref_path, [e.reference_time for e in evidence]) if ref_path.is_file() else []
    out = []
    for i, e in enumerate(evidence):
        qf, rf = _nearest(qframes, e.query_time), _nearest(rframes, e.reference_time)
        stem = f"images/match{number:02d}-pair{i:02d}"
        out.append(
            FramePair(
                query_time=float(e.query_time),
                reference_time=float(e.reference_time),
                distance=int(e.distance),
                variant=str(e.variant),
                query_image=add_image(images, f"{stem}-query.jpg", qf.image) if qf is not None else None,
                reference_image=add_image(images, f"{stem}-reference.jpg", rf.image)
                if rf is not None
                else None,
            )
        )
    names = (
        "query_start",
        "query_end",
        "reference_start",
        "reference_end",
        "speed",
        "offset",
        "coverage_query",
        "coverage_reference",
        "median_distance",
        "score",
        "aligned_fraction",
    )
    values = {n: float(getattr(m, n, 0.0) or 0.0) for n in names}
    bars = getattr(m, "bars", None)
    summary = m.summary() if hasattr(m, "summary") else ""
    return MatchRecord(
        reference=ref,
        bars=tuple(int(b) for b in bars) if bars else None,
        summary=str(summary),
        mirrored=bool(getattr(m, "mirrored", False)),
        crop=to_jsonable(getattr(m, "crop", None)),
        evidence=tuple(out),
        **values,
    )


def build_report(
    path: str | Path,
    *,
    library: Any = None,
    notes: Notes | None = None,
    keyframes: bool = True,
    top: int = 5,
    max_keyframes: int = 24,
    pairs_per_match: int = 3,
    progress: Progress | None = None,
) -> Report:
    """Analyse ``path`` and return its :class:`Report` (custody logged at each step).

    ``library`` is a ``verify.library.Library`` or the path of one (None: no matching).
    """

    def tick(done: float) -> None:
        if progress is not None:
            progress(done, 1.0)

    p = check_file(path)
    custody = CustodyLog()
    received = utc_now()
    size = p.stat().st_size
    custody.log("received", f"{p.name} ({size:,} bytes)")
    probe, signals, probe_detail = probe_record(p)
    summary = probe["summary"]
    sha256, md5 = summary["sha256"], summary["md5"]
    custody.log("hashed", f"sha256 {sha256}, md5 {md5}", sha256=sha256)
    tick(0.1)
    custody.log("probed", probe_detail)
    tick(0.2)
    images: dict[str, bytes] = {}
    records: list[KeyframeRecord] = []
    kind = summary.get("type")
    if keyframes:
        frames, how = keyframe_frames(p, max_keyframes, kind)
        for i, kf in enumerate(frames):
            ref = add_image(images, f"images/keyframe-{i:03d}-{kf.time:09.3f}s.jpg", kf.image)
            records.append(KeyframeRecord(float(kf.time), int(kf.index), int(kf.shot), ref))
        custody.log("frames extracted", f"{len(records)} keyframes ({how})")
    tick(0.5)
    lib = open_library(library)
    matches: list[MatchRecord] = []
    lib_info = None
    settings: dict[str, Any] = {
        "keyframes": keyframes,
        "max_keyframes": max_keyframes,
        "top": top,
        "pairs_per_match": pairs_per_match,
        "thumbnail_side": THUMB_SIDE,
    }
    owned = isinstance(library, (str, Path))
    try:
        if lib is not None and kind == "audio":
            custody.log("not matched", "the file has no picture to match against the library")
        elif lib is not None:
            from ..matching import match_file

            n_refs = len(lib.references())
            lib_path = str(getattr(lib, "path", library))
            lib_info = LibraryInfo(lib_path, n_refs)
            result = match_file(p, lib, top=top)
            settings["matching"] = {
                k: v for k, v in to_jsonable(result).items() if k not in ("matches", "query")
            }
            query = getattr(result, "query", None)
            settings["query_fingerprint"] = to_jsonable(getattr(query, "settings", None))
            settings["algorithm"] = str(getattr(query, "algorithm", ""))
            custody.log(
                "matched",
                f"against library {Path(lib_path).name} with {n_refs} references: {len(result.matches)} match(es)",
            )
            tick(0.8)
            for i, m in enumerate(result.matches, start=1):
                matches.append(_match_record(p, m, i, images, pairs_per_match))
            if matches:
                custody.log("frames extracted", f"evidence frame pairs for {len(matches)} match(es)")
    finally:
        if owned and lib is not None:
            lib.close()
    report = Report(
        case_id=case_id_for(sha256, received),
        file=FileRecord(p.name, size, sha256, md5, received, str(p.resolve())),
        created_at=utc_now(),
        probe=probe,
        signals=signals,
        keyframes=tuple(records),
        library=lib_info,
        matches=tuple(matches),
        notes=Notes(),
        versions=versions(),
        settings=settings,
        custody=custody,
        images=images,
    )
    if notes is not None:
        report = report.with_notes(notes)
    tick(1.0)
    return report
