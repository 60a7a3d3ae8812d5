"""A :class:`Report` from an :class:`verify.analysis.Analysis`: what was examined and found, as recorded.

``build_report`` never reads, decodes or matches anything: the keyframes, matches, frame pairs
and pictures are the analysis's own, so the report shows exactly what the analyst saw. The
chain of custody is the analysis's steps (plus what the caller logged before, e.g. when the file
was received) and grows with every later step (notes, exports, case saves).
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import __version__
from ..analysis import Analysis
from ..custody import CustodyEntry, CustodyLog
from ..notes import Notes, utc_now
from ..serial import to_jsonable
from .model import FileRecord, MatchRecord, Report

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


def settings_record(analysis: Analysis) -> dict[str, Any]:
    """How the file was analysed (the report's appendix; every parameter is in the JSON)."""
    fp = analysis.fingerprint
    out: dict[str, Any] = {"analysis": to_jsonable(analysis.settings)}
    if fp is not None:
        out["algorithm"] = fp.algorithm
        out["samples"] = len(fp)
    if analysis.matches is not None:
        out["library_hashes"] = analysis.matches.library_hashes
    return out


def build_report(
    analysis: Analysis,
    *,
    notes: Notes | None = None,
    received_at: str | None = None,
    custody: Iterable[CustodyEntry] = (),
) -> Report:
    """The report of ``analysis``.

    ``received_at`` is when the file was received (UTC ISO; default: the first custody entry, else
    the analysis's first step); ``custody`` are earlier steps (received, opened, …) to put before
    the analysis's own.
    """
    earlier = list(custody)
    steps = [*earlier, *(s for s in analysis.steps if s not in earlier)]
    when = (
        received_at
        or next((e.at for e in earlier if e.step == "received"), "")
        or (steps[0].at if steps else utc_now())
    )
    if not any(e.step == "received" for e in steps):
        steps.insert(0, CustodyEntry("received", f"{analysis.name} ({analysis.size:,} bytes)", when))
    info = analysis.probe
    probe = {"summary": to_jsonable(info.summary()), **to_jsonable(info)}
    matches: tuple[MatchRecord, ...] = ()
    if analysis.matches is not None:
        said = analysis.matches.summary_lines()  # with the sound's word when the sound was compared
        matches = tuple(
            MatchRecord(m, said[i] if i < len(said) else m.summary(), pairs)
            for i, (m, pairs) in enumerate(
                zip(analysis.matches.matches, analysis.pairs or ((),) * len(analysis.matches.matches))
            )
        )
    report = Report(
        case_id=case_id_for(analysis.sha256, when),
        file=FileRecord(
            analysis.name,
            analysis.size,
            analysis.sha256,
            analysis.md5,
            when,
            str(Path(analysis.path).resolve()) if analysis.path else "",
        ),
        created_at=utc_now(),
        probe=probe,
        signals=tuple(info.signals),
        keyframes=analysis.keyframes,
        library=analysis.library,
        matches=matches,
        scenes=tuple(analysis.matches.scenes) if analysis.matches is not None else (),
        notes=Notes(),
        versions=versions(),
        settings=settings_record(analysis),
        custody=CustodyLog(steps),
        images={r.name: analysis.images[r.name] for r in analysis.image_refs() if r.name in analysis.images},
        text=analysis.text,
    )
    if notes is not None:
        report = report.with_notes(notes)
    return report
