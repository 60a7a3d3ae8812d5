"""The sound at the call site: a query's sound looked up in the library's and fused with its picture.

``with_sound(result, sound, library)`` takes a picture :class:`MatchResult` (``match_fingerprint``),
the query's :class:`verify.audio.AudioFingerprint` (from the same decode: ``verify.audio.tap``) and
a library that has sound (``Library.sound_index()``: hash -> reference, time), runs
``verify.audio.match_audio`` and :func:`verify.matching.fusion.fuse`: every match then says its
channel (picture, sound, both), a sound-only match (the picture was replaced) is reported, and a
dubbed or re-synced copy has its ``sound_offset``. A library without sound, or a query without it,
leaves the picture's matches as they are (the result says why in ``query.sound``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .fusion import Clocks, fuse
from .result import MatchResult, QueryInfo

if TYPE_CHECKING:
    from ..audio import AudioFingerprint

log = logging.getLogger("verify")


def _status(sound: AudioFingerprint | None) -> str:
    if sound is None:
        return "no-audio"
    return sound.status if sound.status != "ok" or sound.has_sound else "silent"


def with_sound(
    result: MatchResult,
    sound: AudioFingerprint | None,
    library: Any,
    *,
    query_lead: float = 0.0,
    top: int = 10,
) -> MatchResult:
    """``result`` fused with the sound's matches of ``sound`` in ``library`` (see the module doc)."""
    from ..audio import match_audio

    get_index = getattr(library, "sound_index", None)
    if get_index is None:  # a library-like without sound (e.g. a cluster's): picture only
        return result
    status = _status(sound)
    index = get_index()
    heard = []
    if sound is not None and status == "ok" and len(index.index):
        heard = match_audio(sound, index.index)

    def reference_of(key: str) -> Any:
        try:
            return library.get(int(key))
        except Exception:  # noqa: BLE001 - removed meanwhile: that sound match is dropped
            return None

    clocks = Clocks(query_lead=query_lead, reference_leads=index.leads, query_sound=status == "ok",
                    references_with_sound=index.with_sound,
                    query_picture=result.query.kind != "audio")  # fmt: skip
    fused = fuse(result.matches, heard, reference_of=reference_of, clocks=clocks)
    matches = sorted(fused.matches, key=lambda m: (-m.score, m.query_start))[: max(top, 0)]
    unheard = tuple(sorted({m.reference.id for m in matches if str(m.reference.id) not in index.with_sound}))
    log.debug("sound: %d sound match(es), %d fused", len(heard), len(matches))
    return replace(
        result,
        matches=tuple(matches),
        query=replace(result.query, sound=status, sound_lead=float(query_lead)),
        library_sound_references=len(index.with_sound),
        unheard=unheard,
    )


def sound_only(
    sound: AudioFingerprint | None,
    library: Any,
    *,
    path: str,
    sha256: str = "",
    duration: float = 0.0,
    top: int = 10,
    settings: Any = None,
) -> MatchResult:
    """The matches of a query without picture (an audio file, a voice message): its sound alone
    against the library's, each a ``channel="sound"`` match; ``query.kind`` is ``"audio"``."""
    from .settings import MatchSettings

    base = MatchResult(
        query=QueryInfo(path=str(path), sha256=sha256, duration=float(duration), samples=0, kind="audio"),
        library_references=len(library),
        settings=settings if settings is not None else MatchSettings(),
    )
    return with_sound(base, sound, library, top=top)
