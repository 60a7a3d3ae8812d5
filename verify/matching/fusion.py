"""Picture and sound of one query, fused: which channels support each match, and what they say.

``fuse(picture, sound, ...)`` takes the query's picture matches (``SegmentMatch``, from
``match_fingerprint``), its sound matches (``AudioMatch``, from ``verify.audio.match_audio``, whose
index ids are ``str(reference.id)``) and, optionally, its same-scene results (``SceneMatch``-like:
a picture that shows a reference's view but cannot say when). It returns :class:`Fused`:

* a picture segment with a sound match of the same reference over the same part of the query is
  ``channel="both"``, with the sound's match (``audio``) and ``sound_offset``: reference seconds
  the sound lies after the picture at the same moment of the query. Beyond ``SYNC_TOLERANCE`` the
  copy was dubbed or re-synced;
* a picture segment whose timing is weak (a low-motion picture: other start times fit as well, or
  little of it is distinctive in time, see :func:`weak_timing`) takes its times from the sound
  (``timing="sound"``), preferring the picture's own alternative that the sound confirms;
* a same-scene result with a sound match of the same reference inside it becomes a real match
  (``channel="both"``, ``timing="sound"``): the sound says which moment it is;
* a sound match with no picture support is a real match, ``channel="sound"``: the picture was
  replaced (a still, a logo, other footage);
* a picture segment with no sound support stays ``channel="picture"``.

Times: a ``SegmentMatch`` counts seconds from each file's video stream start, an ``AudioMatch``
from each file's audio stream start. :class:`Clocks` gives each file's ``lead`` (audio stream
start minus video stream start, seconds) and the sound's times are moved onto the picture's clock
before anything is compared. Pure: no library, no I/O. Plain-language sentences: :func:`describe`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..audio.result import AudioEvidence, AudioMatch
from ..library import Reference
from ..text import safe_text, span
from .result import SegmentMatch

#: |sound_offset| above this (seconds) means the sound was moved against the picture
SYNC_TOLERANCE = 0.25
#: a sound match supports a picture segment when they share this much of the shorter one's query span
MIN_OVERLAP = 0.3
#: a picture segment whose ``support`` (aligned fraction weighted by distinctiveness) is below this has
#: weak timing: its picture barely changes, so its offset is a guess among near-equals
WEAK_SUPPORT = 0.3
#: ... and so has a "fine" placement whose correlation beats the best rival by less than this
WEAK_FINE_MARGIN = 0.1
#: a stretch of a sound match this long (seconds) with no picture support is reported as sound only
MIN_SOUND_ONLY = 2.0
#: a same-scene result is pinned by a sound match whose reference times lie inside the scene's
#: reference range, give or take this many seconds
SCENE_SLACK = 1.0


class SceneLike(Protocol):
    """What fusion reads of a same-scene result (``verify.matching.SceneMatch`` where it exists)."""

    @property
    def reference(self) -> Reference: ...
    @property
    def query_start(self) -> float: ...
    @property
    def query_end(self) -> float: ...
    @property
    def reference_start(self) -> float: ...
    @property
    def reference_end(self) -> float: ...


@dataclass(frozen=True)
class Clocks:
    """Where each file's sound starts against its picture, and which files had sound to compare.

    ``query_lead`` / ``reference_leads[str(reference.id)]``: audio stream start minus video stream
    start, seconds (0 when both start together, or unknown). ``query_sound``: the query had usable
    sound; ``references_with_sound``: ids of references whose sound is fingerprinted (None: unknown).
    """

    query_lead: float = 0.0
    reference_leads: Mapping[str, float] = field(default_factory=dict)
    query_sound: bool = True
    references_with_sound: frozenset[str] | None = None
    #: False for a query without picture (an audio file): its matches are its sound's alone
    query_picture: bool = True


@dataclass(frozen=True)
class Fused:
    """The fused matches (query order) and the same-scene results the sound did not pin."""

    matches: tuple[SegmentMatch, ...]
    scenes: tuple[Any, ...] = ()
    clocks: Clocks = field(default_factory=Clocks)


def on_picture_clock(m: AudioMatch, query_lead: float, reference_lead: float) -> AudioMatch:
    """``m`` with its times in seconds from each file's video stream start."""
    ev = tuple(
        AudioEvidence(e.query_time + query_lead, e.reference_time + reference_lead, e.matched, e.peaks)
        for e in m.evidence
    )
    return replace(
        m,
        query_start=m.query_start + query_lead,
        query_end=m.query_end + query_lead,
        reference_start=m.reference_start + reference_lead,
        reference_end=m.reference_end + reference_lead,
        offset=m.offset + reference_lead - m.speed * query_lead,
        evidence=ev,
    )


def weak_timing(p: SegmentMatch) -> bool:
    """A picture segment whose time in the reference the picture cannot pin down by itself."""
    if getattr(p, "alternatives", ()):
        return True  # the reference repeats this picture: other start times fit as well
    if getattr(p, "method", "aligned") == "fine":
        margin = float(getattr(p, "fine_correlation", 0.0)) - float(getattr(p, "fine_rival", 0.0))
        if margin < WEAK_FINE_MARGIN:
            return True
    return 0.0 < p.support < WEAK_SUPPORT


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _share(p: SegmentMatch, a: AudioMatch) -> float:
    inter = _overlap(p.query_start, p.query_end, a.query_start, a.query_end)
    shorter = min(p.query_end - p.query_start, a.query_end - a.query_start)
    return inter / shorter if shorter > 0 else 0.0


def sound_offset(p: SegmentMatch, a: AudioMatch) -> float:
    """Reference seconds the sound lies after the picture, at the middle of their common query span."""
    t = 0.5 * (max(p.query_start, a.query_start) + min(p.query_end, a.query_end))
    return (a.speed * t + a.offset) - (p.speed * t + p.offset)


def _timed_by_sound(p: SegmentMatch, a: AudioMatch) -> SegmentMatch:
    """``p`` placed on the sound's line (the picture only says *which* footage, the sound *when*)."""
    return replace(
        p,
        reference_start=a.speed * p.query_start + a.offset,
        reference_end=a.speed * p.query_end + a.offset,
        speed=a.speed,
        offset=a.offset,
        channel="both",
        audio=a,
        sound_offset=None,
        timing="sound",
    )


def _pinned(p: SegmentMatch, a: AudioMatch) -> SegmentMatch:
    d = sound_offset(p, a)
    if abs(d) <= SYNC_TOLERANCE:
        return replace(p, channel="both", audio=a, sound_offset=d)  # the picture's guess was right
    for start in getattr(p, "alternatives", ()):  # one of the picture's own alternatives?
        shift = float(start) - p.reference_start
        if abs(d - shift) <= SYNC_TOLERANCE:
            moved = replace(
                p,
                reference_start=p.reference_start + shift,
                reference_end=p.reference_end + shift,
                offset=p.offset + shift,
            )
            return replace(moved, channel="both", audio=a, sound_offset=d - shift, timing="sound")
    return _timed_by_sound(p, a)


def _segment(**values: Any) -> SegmentMatch:
    """A ``SegmentMatch`` from the values its class knows (fields differ between releases)."""
    names = {f.name for f in dataclasses.fields(SegmentMatch)}
    return SegmentMatch(**{k: v for k, v in values.items() if k in names})


def _from_scene(scene: Any, a: AudioMatch) -> SegmentMatch:
    q0, q1 = max(scene.query_start, a.query_start), min(scene.query_end, a.query_end)
    return _segment(
        reference=scene.reference,
        score=a.score,
        query_start=q0,
        query_end=q1,
        reference_start=a.speed * q0 + a.offset,
        reference_end=a.speed * q1 + a.offset,
        speed=a.speed,
        offset=a.offset,
        mirrored=bool(getattr(scene, "mirrored", False)),
        crop=getattr(scene, "crop", None),
        rotation=int(getattr(scene, "rotation", 0)),
        coverage_query=0.0,
        coverage_reference=0.0,
        median_distance=float(getattr(scene, "median_distance", 0.0)),
        aligned_fraction=float(getattr(scene, "matched_fraction", 0.0)),
        evidence=tuple(getattr(scene, "evidence", ())),
        channel="both",
        audio=a,
        timing="sound",
    )


def _sound_only(a: AudioMatch, ref: Reference) -> SegmentMatch:
    return _segment(
        reference=ref,
        score=a.score,
        query_start=a.query_start,
        query_end=a.query_end,
        reference_start=a.reference_start,
        reference_end=a.reference_end,
        speed=a.speed,
        offset=a.offset,
        mirrored=False,
        crop=None,
        coverage_query=0.0,
        coverage_reference=0.0,
        median_distance=0.0,
        channel="sound",
        audio=a,
        timing="sound",
    )


def fuse(
    picture: Sequence[SegmentMatch],
    sound: Sequence[AudioMatch],
    *,
    scenes: Sequence[Any] = (),
    reference_of: Callable[[str], Reference | None] | None = None,
    clocks: Clocks | None = None,
) -> Fused:
    """Fuse one query's picture and sound matches (see the module docstring).

    ``reference_of(audio_id)`` resolves a sound match's reference id to a library ``Reference``
    (needed only for sound-only matches; one it cannot resolve is dropped). A sound match may support
    several picture segments; the stretches of it that no picture supports (``MIN_SOUND_ONLY`` or
    longer) are reported as sound only. Pure and deterministic.
    """
    clocks = clocks or Clocks()
    heard = [
        on_picture_clock(a, clocks.query_lead, float(clocks.reference_leads.get(a.reference, 0.0)))
        for a in sound
    ]
    covered: dict[int, list[tuple[float, float]]] = {}  # sound match -> query spans the picture covers

    def partner(ref: Reference, q0: float, q1: float) -> int | None:
        best, best_inter = None, 0.0
        for i, a in enumerate(heard):
            if a.reference != str(ref.id):
                continue
            inter = _overlap(q0, q1, a.query_start, a.query_end)
            shorter = min(q1 - q0, a.query_end - a.query_start)
            if shorter > 0 and inter / shorter >= MIN_OVERLAP and inter > best_inter:
                best, best_inter = i, inter
        return best

    out: list[SegmentMatch] = []
    for p in picture:
        i = partner(p.reference, p.query_start, p.query_end)
        if i is None:
            out.append(replace(p, channel="picture", audio=None, sound_offset=None, timing="picture"))
            continue
        covered.setdefault(i, []).append((p.query_start, p.query_end))
        a = _clipped(heard[i], p.query_start, p.query_end)
        if weak_timing(p):
            out.append(_pinned(p, a))
        else:
            out.append(replace(p, channel="both", audio=a, sound_offset=sound_offset(p, a), timing="picture"))
    left: list[Any] = []
    for scene in scenes:
        i = partner(scene.reference, scene.query_start, scene.query_end)
        if i is not None:
            a = _clipped(heard[i], scene.query_start, scene.query_end)
            inside = (
                a.reference_start >= scene.reference_start - SCENE_SLACK
                and a.reference_end <= scene.reference_end + SCENE_SLACK
            )
            if inside:
                covered.setdefault(i, []).append((scene.query_start, scene.query_end))
                out.append(_from_scene(scene, a))
                continue
        left.append(scene)
    for i, a in enumerate(heard):
        ref = reference_of(a.reference) if reference_of is not None else None
        if ref is None:
            continue
        for q0, q1 in _uncovered(a.query_start, a.query_end, covered.get(i, [])):
            out.append(_sound_only(_clipped(a, q0, q1), ref))
    out.sort(key=lambda m: (m.query_start, -m.score))
    return Fused(tuple(out), tuple(left), clocks)


def _clipped(a: AudioMatch, q0: float, q1: float) -> AudioMatch:
    """The part of sound match ``a`` inside query seconds ``q0..q1`` (same line, same scores)."""
    q0, q1 = max(q0, a.query_start), min(q1, a.query_end)
    if q0 <= a.query_start and q1 >= a.query_end:
        return a
    return replace(
        a,
        query_start=q0,
        query_end=q1,
        reference_start=a.speed * q0 + a.offset,
        reference_end=a.speed * q1 + a.offset,
        evidence=tuple(e for e in a.evidence if q0 <= e.query_time <= q1),
    )


def _uncovered(q0: float, q1: float, spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Stretches of ``q0..q1`` at least MIN_SOUND_ONLY long that no span covers."""
    out, t = [], q0
    for a, b in sorted(spans):
        if a - t >= MIN_SOUND_ONLY:
            out.append((t, min(a, q1)))
        t = max(t, b)
    if q1 - t >= MIN_SOUND_ONLY:
        out.append((t, q1))
    return out


# -- plain language ------------------------------------------------------------------------------


def _title(ref: Reference) -> str:
    return safe_text(ref.display_title or f"reference {ref.id}", limit=120)


def channel_words(channel: str, query_picture: bool = True) -> str:
    """Which channels support a match, in lower-case words (the CLI's lines, the reports' rows).
    ``query_picture`` False: the query has no picture (an audio file), so nothing was replaced."""
    if channel == "sound":
        return (
            "sound only (the picture was replaced)" if query_picture else "sound (this file has no picture)"
        )
    return "sound and picture" if channel == "both" else "picture"


def sound_note(m: SegmentMatch, clocks: Clocks | None = None, others: Sequence[SegmentMatch] = ()) -> str:
    """What the sound says about match ``m``, one plain-text sentence (no markup)."""
    a = m.audio
    if m.channel == "picture" or a is None:
        clocks = clocks or Clocks()
        has_sound = clocks.references_with_sound
        if not clocks.query_sound:
            return "Picture only: this clip has no usable sound to compare."
        if has_sound is not None and str(m.reference.id) not in has_sound:
            return "Picture only: the reference's sound is not fingerprinted."
        return "Picture only: the sound differs from the reference's (replaced, muted or mixed over)."
    heard = f"its sound matches ({a.score:.0%} of its sound peaks agree)"
    if abs(a.speed - 1) > 0.03:
        heard += f", at {a.speed:.2f}x, pitch {a.pitch}"
    if m.channel == "sound" and clocks is not None and not clocks.query_picture:
        return f"Sound: this file has no picture; {heard}."
    if m.channel == "sound":
        text = f"Sound only: the picture was replaced; {heard}"
        pictured = [
            o
            for o in others
            if o.channel != "sound" and _overlap(o.query_start, o.query_end, m.query_start, m.query_end)
        ]
        if pictured:
            text += f". The picture there is from \u201c{_title(pictured[0].reference)}\u201d"
        return text + "."
    if m.timing == "sound":
        return (
            "Picture and sound: the picture barely moves, so its time in the reference comes from the "
            f"sound; {heard}."
        )
    d = m.sound_offset or 0.0
    if abs(d) <= SYNC_TOLERANCE:
        return f"Picture and sound agree; {heard}, in sync (within {SYNC_TOLERANCE:.2f} s)."
    where = "ahead of" if d > 0 else "behind"
    return (
        f"Picture and sound: {heard}, but it runs {abs(d):.1f} s {where} the picture: the copy was "
        "dubbed or re-synced."
    )


def describe(m: SegmentMatch, clocks: Clocks | None = None, others: Sequence[SegmentMatch] = ()) -> str:
    """The match in plain text: where it is, then what the picture and the sound say."""
    if m.channel == "sound":
        base = (
            f"{span(m.query_start, m.query_end)} of this clip has the sound of "
            f"{span(m.reference_start, m.reference_end)} of \u201c{_title(m.reference)}\u201d."
        )
    else:
        base = m.summary()
    return f"{base} {sound_note(m, clocks, others)}"
