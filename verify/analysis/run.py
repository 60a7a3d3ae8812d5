"""Making an :class:`~verify.analysis.Analysis`: three stages over one read and one decode.

1. :func:`begin`: the probe (``verify.probe``: sha256 + md5 in its one pass over the bytes, or
   the caller's digests when it already hashed the file while receiving it; then metadata).
2. :func:`decode`: one decode of the picture (``verify.fingerprint`` with a
   :class:`~verify.frames.FrameTap`): the query fingerprint, its shots, and a colour picture of
   the samples (kept within a budget) from which the keyframes are chosen.
3. :func:`match`: the fingerprint against a library (``verify.matching``) and the evidence frame
   pairs of each match: the query side cut from the kept pictures, the reference side from the
   reference file (or the matches first, ``pairs=False``, and :func:`cut_pairs` after: a page
   shows the answer while the pairs are cut).

:func:`ocr` (optional, after :func:`decode`) reads the text on screen of the kept keyframe
pictures (``verify.ocr``): no second decode. :func:`analyse` runs the three stages. Each stage takes and returns an ``Analysis`` (a new value), so a
caller can show the first stage while the others run, and re-run only :func:`match` when the
library changes. ``progress(done, total)`` and ``cancel`` (a ``threading.Event``) are optional.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from ..audio import AudioFingerprint
from ..audio.tap import SoundTap, lead
from ..custody import CustodyEntry
from ..digest import Digests
from ..errors import AnalysisCancelled, NoVideoStreamError, VerifyError
from ..fingerprint import Fingerprint, fingerprint
from ..frames import DecodeStats, Sampling, iter_frames
from ..matching import LibraryLike, SegmentMatch, match_fingerprint
from ..matching.sound import with_sound
from ..notes import utc_now
from ..ocr.engine import OcrSettings
from ..pictures import encode, image_ref
from ..probe import probe
from ..shots import select_keyframes
from ..text import plural
from .model import (
    Analysis,
    AnalysisSettings,
    DecodeSummary,
    FramePair,
    KeyframeRecord,
    LibraryState,
)
from .pictures import SamplePictures

log = logging.getLogger("verify")

Progress = Callable[[float, float], None]
T = TypeVar("T")


def _step(step: str, detail: str, sha256: str = "") -> CustodyEntry:
    return CustodyEntry(step=step, detail=detail, at=utc_now(), sha256=sha256)


def _ticker(progress: Progress | None, cancel: threading.Event | None, lo: float, hi: float) -> Progress:
    """Progress of a stage mapped onto [lo, hi] of the whole; raises AnalysisCancelled when asked to."""

    def tick(done: float, total: float) -> None:
        if cancel is not None and cancel.is_set():
            raise AnalysisCancelled("the analysis was cancelled")
        if progress is not None:
            frac = min(1.0, max(0.0, done / total)) if total else 0.0
            progress(lo + (hi - lo) * frac, 1.0)

    return tick


# -- stage 1 --------------------------------------------------------------------------------


def begin(
    path: str | Path,
    *,
    name: str | None = None,
    digests: Digests | None = None,
    settings: AnalysisSettings | None = None,
    max_bytes: int | None = None,
) -> Analysis:
    """The probe of ``path`` as a new analysis (raises verify's errors for unreadable files)."""
    info = probe(path, max_bytes=max_bytes, digests=digests)
    f = info.file
    assert f is not None  # probe always fills it
    how = "while the file was received" if digests is not None and digests.size == f.size else "one pass"
    steps = (
        _step("hashed", f"sha256 {f.sha256}, md5 {f.md5} ({how})", f.sha256),
        _step("probed", f"verify.probe: {len(info.signals)} provenance signal(s)"),
    )
    return Analysis(probe=info, name=name or f.name, settings=settings or AnalysisSettings(), steps=steps)


# -- stage 2 --------------------------------------------------------------------------------


def decode(
    analysis: Analysis,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    max_bytes: int | None = None,
    every: float = 0.0,
) -> Analysis:
    """The one decode: fingerprint, shots and keyframes. A file without a usable picture is not
    an error here: the analysis records why in ``problems`` and has no fingerprint.

    ``every``: keep a picture of at most one sample per this many seconds (0: of every sample;
    useful when the fingerprint samples every frame)."""
    s = analysis.settings
    tick = _ticker(progress, cancel, 0.0, 1.0)
    if analysis.kind == "audio":
        return _sound_only(analysis, tick, max_bytes)
    pictures = SamplePictures(s.picture_side, s.picture_budget, every=every)
    sound = SoundTap() if s.sound else None  # the sound, demuxed and decoded in the same pass
    try:
        fp = fingerprint(
            analysis.path,
            s.fingerprint,
            tick,
            max_bytes=max_bytes,
            info=analysis.probe,
            tap=pictures.tap(),
            audio=sound,
        )
    except AnalysisCancelled:
        raise
    except NoVideoStreamError as exc:
        return _no_picture(analysis, exc.message)
    except VerifyError as exc:
        log.info("%s: decode failed: %s", analysis.path, exc)
        return _no_picture(analysis, f"the pictures could not be decoded: {exc.message}")
    images = dict(analysis.images)
    keyframes = _keyframes(fp, pictures, s, images)
    summary = DecodeSummary(fp.decoded_frames, fp.corrupt_frames, len(fp), len(pictures))
    audio = sound.finish(analysis.probe, sha256=fp.sha256) if sound is not None else None
    heard = "" if sound is None else f"; sound: {_sound_detail(audio)}"
    steps = (
        *analysis.steps,
        _step(
            "fingerprinted",
            f"{len(fp)} samples ({fp.algorithm}, {len(fp.settings.variants)} variants), "
            f"{fp.decoded_frames} frames decoded once, {fp.corrupt_frames} corrupt skipped{heard}",
        ),
        _step(
            "frames extracted", f"{plural(len(keyframes), 'keyframe')} from {plural(len(fp.shots), 'shot')}"
        ),
    )
    tick(1.0, 1.0)
    return dataclasses.replace(
        analysis, fingerprint=fp, keyframes=keyframes, decode=summary, images=images, steps=steps,
        samples=pictures, audio=audio,
    )  # fmt: skip


def _sound_detail(audio: AudioFingerprint | None, *, same_decode: bool = True) -> str:
    if audio is None:
        return "no audio stream (picture only)"
    if audio.status != "ok":
        return f"{audio.status}: {audio.message} (picture only)"
    where = ", in the same decode" if same_decode else ""
    return f"{plural(len(audio), 'peak')} over {audio.duration:.1f} s ({audio.algorithm}){where}"


def _sound_only(analysis: Analysis, tick: Progress, max_bytes: int | None) -> Analysis:
    """An audio file: no picture to fingerprint; its sound (with ``settings.sound``) is, and is
    matched alone (``match``)."""
    why = "the file has no picture (audio only): no picture to fingerprint"
    if not analysis.settings.sound:
        return _no_picture(analysis, why + " or match (sound matching is off)")
    from ..audio import audio_fingerprint

    try:
        audio = audio_fingerprint(analysis.path, progress=tick, max_bytes=max_bytes, sha256=analysis.sha256)
    except AnalysisCancelled:
        raise
    except VerifyError as exc:
        return _no_picture(analysis, f"{why}, and its sound could not be decoded: {exc.message}")
    done = _no_picture(analysis, why + "; its sound is matched alone")
    step = _step("sound fingerprinted", _sound_detail(audio, same_decode=False))
    tick(1.0, 1.0)
    return dataclasses.replace(done, audio=audio, steps=(*done.steps, step))


def _no_picture(analysis: Analysis, why: str) -> Analysis:
    return dataclasses.replace(
        analysis,
        decode=DecodeSummary(),
        problems=(*analysis.problems, why),
        steps=(*analysis.steps, _step("not fingerprinted", why)),
    )


def _keyframes(
    fp: Fingerprint, pictures: SamplePictures, s: AnalysisSettings, images: dict[str, bytes]
) -> tuple[KeyframeRecord, ...]:
    start = float(fp.start_time)
    times = np.asarray(fp.times, np.float64)
    kept = [pictures.at(t + start) for t in times]
    sharp = np.array([p.sharpness if p is not None else -np.inf for p in kept])
    col = fp.settings.variants.index("full") if "full" in fp.settings.variants else 0
    picks = select_keyframes(
        times,
        np.asarray(fp.hashes, np.uint64)[:, col],
        sharp,
        fp.shots,
        float(fp.duration or 0.0),
        max_per_shot=s.keyframes_per_shot,
        long_shot_every=s.long_shot_every,
        limit=s.max_keyframes,
    )
    out = []
    for number, pk in enumerate(picks):
        pic = kept[pk.position]
        if pic is None:
            continue
        t = float(times[pk.position])
        name = f"images/keyframe-{number:03d}-{t:09.3f}s.jpg"
        images[name] = pic.jpeg
        out.append(
            KeyframeRecord(t, pic.index, pk.shot, image_ref(name, pic.jpeg), pk.shot_start, pk.shot_end)
        )
    return tuple(out)


# -- text on screen (optional, after the decode) -------------------------------------------


def ocr(
    analysis: Analysis,
    settings: OcrSettings | None = None,
    *,
    max_keyframes: int = 24,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    in_child: bool = False,
) -> Analysis:
    """The analysis with ``text``: OCR of its keyframes' kept pictures (``verify.ocr.read_keyframes``;
    nothing is decoded again). Without keyframes the result is empty and says so. ``in_child``:
    the OCR engine runs in a child process (``verify.ocr.child``) and is gone when it ends."""
    from ..ocr import read_keyframes

    tick = _ticker(progress, cancel, 0.0, 1.0)
    if not analysis.keyframes:
        why = analysis.problems[-1] if analysis.problems else "no keyframes"
        return dataclasses.replace(analysis, steps=(*analysis.steps, _step("text not read", why)))
    result = read_keyframes(analysis, settings, max_keyframes=max_keyframes, progress=tick, in_child=in_child)
    detail = (
        f"{plural(len(result.items), 'text')} and {plural(len(result.leads), 'lead')} in "
        f"{plural(result.frames_read, 'keyframe')} ({result.engine})"
    )
    return dataclasses.replace(analysis, text=result, steps=(*analysis.steps, _step("text read", detail)))


# -- stage 3 --------------------------------------------------------------------------------


def match(
    analysis: Analysis,
    library: LibraryLike,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    pairs: bool = True,
) -> Analysis:
    """Match the analysis's fingerprint against ``library`` (a ``verify.library.Library``) and cut
    the evidence frame pairs (``pairs=False``: not yet; :func:`cut_pairs` does it later, so a
    caller can show the matches first). Without a fingerprint (no picture) the result says why."""
    s = analysis.settings
    from ..library.store import record_location

    # a shared library's URL without its credentials: the state goes into reports
    state = LibraryState(record_location(library.path), library.library_id, library.generation, len(library))
    fp = analysis.fingerprint
    if fp is None and analysis.sound_only and s.sound:
        return _match_sound_only(analysis, library, state, progress, cancel)
    if fp is None:
        why = analysis.problems[-1] if analysis.problems else "the file was not fingerprinted"
        step = _step("not matched", why)
        return dataclasses.replace(analysis, library=state, steps=(*analysis.steps, step))
    tick = _ticker(progress, cancel, 0.0, 1.0)
    tick(0.0, 1.0)
    result = match_fingerprint(fp, library, s.matching, top=s.top)
    if s.sound and analysis.decoded:
        result = with_sound(result, analysis.audio, library, query_lead=lead(analysis.audio, fp), top=s.top)
    if not result.query.path:
        result = dataclasses.replace(result, query=dataclasses.replace(result.query, path=analysis.path))
    name = Path(state.path).name or "library"
    step = _step(
        "matched",
        f"against library {name} with {plural(state.references, 'reference')}: "
        f"{plural(len(result.matches), 'match', 'matches')}",
    )
    images = {k: v for k, v in analysis.images.items() if not k.startswith("images/match")}
    matched = dataclasses.replace(
        analysis, matches=result, pairs=(), library=state, images=images, steps=(*analysis.steps, step)
    )
    if not pairs:
        tick(1.0, 1.0)
        return matched
    return cut_pairs(matched, progress=_ticker(progress, cancel, 0.5, 1.0), cancel=cancel)


def cut_pairs(
    analysis: Analysis, *, progress: Progress | None = None, cancel: threading.Event | None = None
) -> Analysis:
    """The evidence frame pairs of every match of ``analysis`` (matched with ``pairs=False``): the
    query side from the kept sample pictures, the reference side from the reference file. An
    analysis whose pairs are cut already is returned as it is."""
    result = analysis.matches
    if result is None or not analysis.pairs_pending:
        return analysis
    s = analysis.settings
    tick = _ticker(progress, cancel, 0.0, 1.0)
    images = dict(analysis.images)
    out: list[tuple[FramePair, ...]] = []
    for number, m in enumerate(result.matches, start=1):
        if analysis.fingerprint is None:  # matched by its sound alone: no picture, no pairs
            out.append(())
            continue
        out.append(_pairs(analysis, m, number, analysis.samples, images, s))
        tick(number / max(1, len(result.matches)), 1.0)
    steps = analysis.steps
    if any(out):
        detail = f"evidence frame pairs for {plural(len(out), 'match', 'matches')}"
        steps = (*steps, _step("frames extracted", detail))
    tick(1.0, 1.0)
    return dataclasses.replace(analysis, pairs=tuple(out), images=images, steps=steps)


def _match_sound_only(
    analysis: Analysis,
    library: LibraryLike,
    state: LibraryState,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> Analysis:
    """The sound of an audio file against the library's (``verify.matching.sound.sound_only``)."""
    from ..matching.sound import sound_only

    tick = _ticker(progress, cancel, 0.0, 1.0)
    tick(0.0, 1.0)
    audio = analysis.audio
    assert audio is not None
    s = analysis.settings
    result = sound_only(audio, library, path=analysis.path, sha256=analysis.sha256,
                        duration=float(audio.duration or 0.0), top=s.top, settings=s.matching)  # fmt: skip
    name = Path(state.path).name or "library"
    step = _step(
        "matched",
        f"its sound against library {name} with {plural(state.references, 'reference')} "
        f"({plural(result.library_sound_references, 'reference')} with sound): "
        f"{plural(len(result.matches), 'match', 'matches')}",
    )
    tick(1.0, 1.0)
    pairs = tuple(() for _ in result.matches)  # no picture: no frame pairs
    return dataclasses.replace(analysis, matches=result, pairs=pairs, library=state,
                               steps=(*analysis.steps, step))  # fmt: skip


def pick_evenly(items: Sequence[T], n: int) -> list[T]:
    """``n`` items spread evenly over ``items`` (all of them when there are no more than ``n``)."""
    if len(items) <= n:
        return list(items)
    step = (len(items) - 1) / max(1, n - 1)
    return [items[round(i * step)] for i in range(n)]


def _pairs(
    analysis: Analysis,
    m: SegmentMatch,
    number: int,
    pictures: SamplePictures | None,
    images: dict[str, bytes],
    s: AnalysisSettings,
) -> tuple[FramePair, ...]:
    evidence = pick_evenly(sorted(m.evidence, key=lambda e: e.query_time), s.pairs_per_match)
    fp = analysis.fingerprint
    start = float(fp.start_time) if fp is not None else 0.0
    query = _query_pictures(analysis, [e.query_time for e in evidence], start, pictures, s)
    ref = _file_pictures(Path(m.reference.path), [e.reference_time for e in evidence], s.picture_side)
    out = []
    for i, e in enumerate(evidence):
        stem = f"images/match{number:02d}-pair{i:02d}"
        q, r = query[i], ref[i]
        if q is not None:
            images[f"{stem}-query.jpg"] = q
        if r is not None:
            images[f"{stem}-reference.jpg"] = r
        out.append(
            FramePair(
                float(e.query_time),
                float(e.reference_time),
                int(e.distance),
                str(e.variant),
                image_ref(f"{stem}-query.jpg", q) if q is not None else None,
                image_ref(f"{stem}-reference.jpg", r) if r is not None else None,
            )
        )
    return tuple(out)


def _query_pictures(
    analysis: Analysis, times: list[float], start: float, pictures: SamplePictures | None, s: AnalysisSettings
) -> list[bytes | None]:
    """The query side of the pairs: kept sample pictures, else frames decoded at those times."""
    found: list[bytes | None] = []
    for t in times:
        pic = pictures.at(t + start) if pictures is not None else None
        found.append(pic.jpeg if pic is not None else None)
    missing = [i for i, v in enumerate(found) if v is None]
    if missing:
        decoded = _file_pictures(Path(analysis.path), [times[i] for i in missing], s.picture_side)
        for i, data in zip(missing, decoded):
            found[i] = data
    return found


def _file_pictures(path: Path, times: list[float], side: int) -> list[bytes | None]:
    """JPEG of the frame shown at each time of a file (None where it cannot be read)."""
    if not times or not path.is_file():
        return [None] * len(times)
    stats = DecodeStats()
    try:
        frames = list(
            iter_frames(path, Sampling(mode="times", times=tuple(times), max_side=side), stats=stats)
        )
    except VerifyError as exc:
        log.warning("frames of %s unavailable: %s", path, exc)
        return [None] * len(times)
    out: list[bytes | None] = []
    for t in times:
        shown = np.array([f.time - stats.start_time for f in frames])
        best = frames[int(np.argmin(np.abs(shown - t)))] if frames else None
        out.append(encode(best.image, "jpeg") if best is not None else None)
    return out


# -- all three ------------------------------------------------------------------------------


def analyse(
    path: str | Path,
    *,
    library: LibraryLike | None = None,
    settings: AnalysisSettings | None = None,
    name: str | None = None,
    digests: Digests | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    max_bytes: int | None = None,
) -> Analysis:
    """Probe, decode once and (with a ``library``) match ``path``: its whole :class:`Analysis`."""
    tick = _ticker(progress, cancel, 0.0, 1.0)
    a = begin(path, name=name, digests=digests, settings=settings, max_bytes=max_bytes)
    tick(0.05, 1.0)
    a = decode(a, progress=_ticker(progress, cancel, 0.05, 0.85), cancel=cancel, max_bytes=max_bytes)
    if library is not None:
        a = match(a, library, progress=_ticker(progress, cancel, 0.85, 1.0), cancel=cancel)
    tick(1.0, 1.0)
    return a
