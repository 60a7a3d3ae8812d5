"""The analysis of the file under examination: one ``verify.analysis.Analysis`` per file.

Stage 1 (``verify.analysis.begin``: the probe, with the digests the loader computed while it
received the file, so the file is not read again) runs while the page waits: the Overview needs
it. Stage 2 (``decode``: the one decode, which makes the fingerprint, the shots, the keyframes
and the sample pictures) and stage 3 (``match`` against the active library, with the evidence
frame pairs cut from those pictures) run in the background (:mod:`ui.jobs`), and after the
decode the text on screen (``verify.analysis.ocr`` on the kept keyframe pictures: no second
decode, never in the Overview's path), kept per sha256 in :data:`TEXTS`. Every page and
export reads the same ``Analysis`` from :data:`CACHE`, a store keyed by sha256 (matches by
sha256 and library state) that is bounded in bytes; background tasks only name what they made.

This module only calls ``verify`` and packages what it returns for display.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from verify.analysis import Analysis, begin, cut_pairs, decode, match, ocr
from verify.digest import Digests
from verify.frames import sample_times
from verify.library import Library
from verify.pictures import decode as decode_picture

from . import jobs, links
from .files import Loaded

log = logging.getLogger("verify")

#: Bytes of analyses (pictures, fingerprints) kept in memory for the whole server.
CACHE_BYTES = 96 << 20

Progress = Callable[[float, float], None]


@dataclass(frozen=True)
class KeyframeView:
    number: int  # 1-based, as in the report
    time: float
    index: int
    shot: int  # 1-based
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
    """The match result of one analysis and the library it was matched against."""

    result: Any  # verify.matching.MatchResult
    library_path: str
    library_references: int
    analysis: Analysis


class AnalysisCache:
    """Analyses by key, least recently used dropped first once they hold more than ``budget`` bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._items: OrderedDict[str, Analysis] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Analysis | None:
        with self._lock:
            a = self._items.get(key)
            if a is not None:
                self._items.move_to_end(key)
            return a

    def put(self, key: str, analysis: Analysis) -> None:
        with self._lock:
            self._items[key] = analysis
            self._items.move_to_end(key)
            while len(self._items) > 1 and self.nbytes() > self.budget:
                self._items.popitem(last=False)

    def nbytes(self) -> int:
        return sum(a.nbytes() for a in self._items.values())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = AnalysisCache(CACHE_BYTES)
_decode_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(sha256: str) -> threading.Lock:
    with _locks_guard:
        return _decode_locks.setdefault(sha256, threading.Lock())


def _digests(loaded: Loaded) -> Digests | None:
    return Digests(loaded.sha256, loaded.md5, loaded.size) if loaded.md5 else None


# -- stage 1: probe (synchronous) -----------------------------------------------------------


def cached_probe(sha256: str) -> Any:
    a = CACHE.get(f"probe:{sha256}") or CACHE.get(f"decode:{sha256}")
    return a.probe if a is not None else None


def probe_file(loaded: Loaded) -> Any:
    """``verify.analysis.begin`` once per sha256 (raises verify's errors); returns its MediaInfo."""
    return started(loaded).probe


def started(loaded: Loaded) -> Analysis:
    a = CACHE.get(f"decode:{loaded.sha256}") or CACHE.get(f"probe:{loaded.sha256}")
    if a is None:
        a = begin(loaded.path, name=loaded.name, digests=_digests(loaded))
        # a fetched file: the site's upload time against the file's own times (``ui.links``)
        a = replace(a, probe=links.with_link_signals(a.probe))
        CACHE.put(f"probe:{loaded.sha256}", a)
    return a


def is_still(info: Any) -> bool:
    f = getattr(info, "file", None)
    return bool(f is not None and f.kind == "image")


# -- stage 2: the one decode (background) ---------------------------------------------------


#: Files whose pictures could not be decoded (sha256 -> why), remembered so no page decodes them again.
_FAILED: OrderedDict[str, str] = OrderedDict()
MAX_FAILED = 1024


def failure(sha256: str) -> str | None:
    """Why the pictures of this file could not be decoded, when they could not."""
    with _locks_guard:
        return _FAILED.get(sha256)


def forget_failures() -> None:
    """Forget every remembered decode failure (tests: a fresh start)."""
    with _locks_guard:
        _FAILED.clear()


def _remember_failure(sha256: str, why: str) -> None:
    with _locks_guard:
        _FAILED[sha256] = why
        while len(_FAILED) > MAX_FAILED:
            _FAILED.popitem(last=False)


def decoded(loaded: Loaded, progress: Progress | None = None) -> Analysis:
    """The decoded analysis of ``loaded`` (decoding it once if no one has yet).

    Raises :class:`verify.errors.DecodeError` when no picture of the file could be decoded; that
    is remembered for the file, so it is not decoded again (for another library either).
    """
    from verify.errors import DecodeError

    key = f"decode:{loaded.sha256}"
    with _lock_for(loaded.sha256):
        why = failure(loaded.sha256)
        if why is not None:
            raise DecodeError(why, hint="")
        a = CACHE.get(key)
        if a is None:
            a = decode(started(loaded), progress=progress)
            CACHE.put(key, a)
        if a.fingerprint is None and a.problems and not a.sound_only:
            _remember_failure(loaded.sha256, a.problems[-1])
            raise DecodeError(a.problems[-1], hint="")
        return a


def keyframe_views(a: Analysis) -> list[KeyframeView]:
    out = []
    for number, k in enumerate(a.keyframes, start=1):
        if k.image is not None and k.image.name in a.images:
            out.append(KeyframeView(number, k.time, k.index, k.shot, a.images[k.image.name], k.image.width,
                                    k.image.height))  # fmt: skip
    return out


def still_picture(loaded: Loaded) -> list[KeyframeView]:
    """The still itself (its one keyframe), from the analysis."""
    return keyframe_views(decoded(loaded))


def keyframes_key(sha256: str) -> str:
    return f"keyframes:{sha256}"


def start_keyframes(loaded: Loaded, still: bool) -> jobs.Task:
    def work(task: jobs.Task) -> str:
        task.set_stage("Decoding: fingerprint, shots and keyframes")
        decoded(loaded, task.progress)
        return f"decode:{loaded.sha256}"

    return jobs.runner().submit(
        keyframes_key(loaded.sha256), f"Keyframes of {loaded.name}", work, loaded.sha256
    )


def keyframes_of(task: jobs.Task) -> list[KeyframeView] | None:
    """The keyframes a finished task made, or None when they were dropped from memory (ask again)."""
    a = CACHE.get(str(task.result))
    if a is None:
        jobs.runner().forget(task.key)
        return None
    return keyframe_views(a)


def full_frame(path: Path, time: float, still: bool) -> np.ndarray:
    """The picture at ``time`` at full resolution (for the enlarged view and downloads)."""
    if still:
        from PIL import Image, ImageOps

        with Image.open(path) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    frames = sample_times(path, [time])
    if not frames:
        raise ValueError(f"no frame at {time:.3f} s")
    return frames[0].image


# -- text on screen (background, after the decode) -----------------------------------------


class TextCache:
    """OCR results by sha256 (small records; the oldest dropped beyond ``size``)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str) -> Any:
        with self._lock:
            return self._items.get(sha256)

    def put(self, sha256: str, result: Any) -> None:
        with self._lock:
            self._items[sha256] = result
            self._items.move_to_end(sha256)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


TEXTS = TextCache()


def text_key(sha256: str) -> str:
    return f"text:{sha256}"


def start_text(loaded: Loaded) -> jobs.Task:
    """The text on screen of the file's keyframes, queued after its decode (same file, same worker)."""

    def work(task: jobs.Task) -> str:
        if TEXTS.get(loaded.sha256) is None:
            task.set_stage("Waiting for the keyframes")
            a = decoded(loaded, task.progress)
            task.set_stage("Reading the text on screen (OCR, on this machine)")
            read = ocr(a, progress=task.progress, in_child=True)  # the engine never stays in the server
            if read.text is None:  # no keyframes (audio only, undecodable): say why
                from verify.errors import DecodeError

                raise DecodeError(read.steps[-1].detail, hint="")
            TEXTS.put(loaded.sha256, read.text)
        return loaded.sha256

    return jobs.runner().submit(
        text_key(loaded.sha256), f"Text on screen of {loaded.name}", work, loaded.sha256
    )


def text_of(sha256: str) -> Any:
    """The OCR result of the file (``verify.ocr.OcrResult``), or None when it was not read (yet)."""
    return TEXTS.get(sha256)


def with_text(a: Analysis) -> Analysis:
    """``a`` with its text on screen when OCR has run (for reports), and the custody step of it."""
    result = TEXTS.get(a.sha256)
    if result is None or a.text is not None:
        return a
    from verify.custody import CustodyEntry
    from verify.notes import utc_now

    step = CustodyEntry(
        "text read",
        f"{len(result.items)} text(s) and {len(result.leads)} lead(s) in {result.frames_read} keyframe(s) "
        f"({result.engine})",
        utc_now(),
    )
    return replace(a, text=result, steps=(*a.steps, step))


def items_at(result: Any, time: float, tolerance: float = 0.05) -> list[Any]:
    """The texts read on the keyframe at ``time`` (their span covers it)."""
    return [i for i in result.items if i.first - tolerance <= time <= i.last + tolerance]


def boxed(jpeg: bytes, items: list[Any], width: int = 3) -> bytes:
    """The keyframe picture with the boxes of ``items`` drawn on it (PIL; numbered, no text drawn)."""
    import io

    from PIL import Image, ImageDraw

    with Image.open(io.BytesIO(jpeg)) as im:
        img = im.convert("RGB")
    draw = ImageDraw.Draw(img)
    w, h = img.size
    for n, item in enumerate(items, start=1):
        x0, y0, x1, y1 = item.box
        rect = (x0 * w, y0 * h, x1 * w, y1 * h)
        draw.rectangle(rect, outline=(255, 196, 0), width=width)
        draw.rectangle((rect[0], max(0, rect[1] - 14), rect[0] + 16, max(14, rect[1])), fill=(255, 196, 0))
        draw.text((rect[0] + 3, max(0, rect[1] - 14)), str(n), fill=(0, 0, 0))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


# -- stage 3: matching (background) ---------------------------------------------------------


def library_state(path: Path) -> str:
    """Identifies the library's content: its id and generation (which every add or remove bumps)."""
    with Library(path, create=False) as lib:
        return f"{path}|{lib.library_id}|{lib.generation}"


def match_key(sha256: str, library_path: Path) -> str:
    return f"match:{sha256}:{library_state(library_path)}"


def pairs_key(match_key: str) -> str:
    """The key of the frame-pairs task that follows the match task ``match_key`` (same library state)."""
    return "pairs:" + match_key.removeprefix("match:")


def start_match(loaded: Loaded, library_path: Path) -> jobs.Task:
    """The one decode (if not done yet) and matching; the evidence frame pairs are cut by the
    task queued right behind it (:func:`start_pairs`), so the pages show the matches first."""
    key = match_key(loaded.sha256, library_path)

    def work(task: jobs.Task) -> str:
        task.set_stage("Decoding and fingerprinting")
        a = decoded(loaded, task.progress)
        task.set_stage("Matching against the library")
        with Library(library_path) as lib:
            m = match(a, lib, progress=task.progress, pairs=False)
        CACHE.put(key, m)
        return key

    runner = jobs.runner()
    task = runner.submit(key, f"Matching {loaded.name}", work, loaded.sha256)
    if task.active:  # a match to come: pairs cut for an earlier result of it are no longer there
        runner.forget(pairs_key(key))
    _submit_pairs(loaded, key)
    return task


def start_pairs(loaded: Loaded, library_path: Path) -> jobs.Task:
    """The evidence frame pairs of the matches (after the match task, in the same worker): the
    match's analysis in :data:`CACHE` is replaced by the same analysis with its pairs."""
    return _submit_pairs(loaded, match_key(loaded.sha256, library_path))


def _submit_pairs(loaded: Loaded, key: str) -> jobs.Task:
    def work(task: jobs.Task) -> str:
        task.set_stage("Cutting the evidence frame pairs")
        a = CACHE.get(key)
        if a is not None and a.pairs_pending:
            CACHE.put(key, cut_pairs(a, progress=task.progress))
        return key

    return jobs.runner().submit(pairs_key(key), f"Frame pairs of {loaded.name}", work, loaded.sha256)


def with_pairs(loaded: Loaded, library_path: Path, timeout: float = 600.0) -> MatchView | None:
    """The match view with its evidence frame pairs cut (waiting for both tasks; for exports),
    or None when matching failed or its result was dropped from memory."""
    task = start_match(loaded, library_path)
    task.finished_event.wait(timeout)
    if task.status != "done":
        return None
    view = match_view(task)
    if view is not None and view.analysis.pairs_pending:
        pairs = start_pairs(loaded, library_path)
        pairs.finished_event.wait(timeout)
        view = match_view(task)
    return view


def match_view(task: jobs.Task) -> MatchView | None:
    """The view of a finished match task, or None when it was dropped from memory (ask again)."""
    a = CACHE.get(str(task.result))
    if a is None or a.library is None:
        jobs.runner().forget(task.key)  # start_match runs it again, and its pairs after it
        return None
    if a.matches is None:  # no picture: say why
        from verify.errors import DecodeError

        raise DecodeError(a.problems[-1] if a.problems else "the file could not be matched", hint="")
    return MatchView(a.matches, a.library.path, a.library.references, a)


def pair_views(view: MatchView) -> tuple[tuple[PairView, ...], ...] | None:
    """The evidence frame pairs of every match (cut once, after the matches; None until then)."""
    a, out = view.analysis, []
    if a.pairs_pending:
        return None
    for pairs in a.pairs:
        out.append(
            tuple(
                PairView(
                    p.query_time,
                    p.reference_time,
                    p.distance,
                    p.variant,
                    a.images.get(p.query_image.name) if p.query_image else None,
                    a.images.get(p.reference_image.name) if p.reference_image else None,
                )
                for p in pairs
            )
        )
    return tuple(out)


def picture(data: bytes) -> np.ndarray:
    """RGB array of a kept picture (for downloads that re-encode)."""
    return decode_picture(data)
