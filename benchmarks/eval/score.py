"""Scoring: found / localised / false matches per query, tallied per edit kind.

* an **expected item** is one ground-truth segment (a compilation of two references has two);
* **found**: the system returned some match to that segment's reference;
* **localised**: some match to that reference overlaps the segment with IoU >= 0.5 on the query side
  *and* on the reference side (a system that gives no times never localises);
* **false**: a query counts once if any returned match names a reference it does not show
  (any match at all, for a negative). ``false_matches`` counts the match records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .edits import Case, Segment

IOU_MIN = 0.5


@dataclass(frozen=True)
class Predicted:
    """One match a system returned; times None when the system does not localise."""

    reference: str
    score: float = 0.0
    query_start: float | None = None
    query_end: float | None = None
    reference_start: float | None = None
    reference_end: float | None = None
    note: str = ""
    #: a same-scene result (time undetermined), not a match: never localises, never a false match
    scene: bool = False
    #: other reference starts the system says fit as well (a repeating reference)
    alternatives: tuple[float, ...] = ()


@dataclass(frozen=True)
class CaseScore:
    case: str
    kind: str
    expected: int
    found: int
    localised: int
    false: bool
    false_matches: int
    negative: bool
    detail: str = ""
    scene_found: int = 0  # expected segments whose reference appears only as a same-scene result
    scene_wrong: int = 0  # same-scene results naming a reference the query does not show


@dataclass
class Tally:
    expected: int = 0
    found: int = 0
    localised: int = 0
    queries: int = 0
    false: int = 0
    negatives: int = 0
    scene_found: int = 0
    scene_wrong: int = 0
    cases: list[str] = field(default_factory=list)

    def add(self, s: CaseScore) -> None:
        self.expected += s.expected
        self.found += s.found
        self.localised += s.localised
        self.queries += 1
        self.false += int(s.false)
        self.negatives += int(s.negative)
        self.scene_found += s.scene_found
        self.scene_wrong += int(s.scene_wrong > 0)
        self.cases.append(s.case)


def iou(a0: float, a1: float, b0: float, b1: float) -> float:
    """Intersection over union of two intervals (0 when either is empty)."""
    lo, hi = max(min(a0, a1), min(b0, b1)), min(max(a0, a1), max(b0, b1))
    inter = max(0.0, hi - lo)
    union = (max(a0, a1) - min(a0, a1)) + (max(b0, b1) - min(b0, b1)) - inter
    return inter / union if union > 0 else 0.0


def localises(p: Predicted, s: Segment, threshold: float = IOU_MIN) -> bool:
    """IoU >= threshold both sides; a repeating reference's other starts (truth's or the system's)
    count as well; an unplaceable segment (a still) is localised by naming its reference."""
    if p.reference != s.reference:
        return False
    if s.unplaceable:
        return True
    if p.scene or None in (p.query_start, p.query_end, p.reference_start, p.reference_end):
        return False
    q = iou(p.query_start, p.query_end, s.query_start, s.query_end)  # type: ignore[arg-type]
    if q < threshold:
        return False
    lo, hi = sorted((p.reference_start, p.reference_end))  # type: ignore[type-var]
    starts = [lo, *p.alternatives]
    truths = [min(s.reference_start, s.reference_end), *s.alternatives]
    span = abs(s.reference_end - s.reference_start)
    return any(iou(a, a + (hi - lo), t, t + span) >= threshold for a in starts for t in truths)


def score_case(case: Case, predicted: Sequence[Predicted]) -> CaseScore:
    wanted = {s.reference for s in case.segments}
    matches = [p for p in predicted if not p.scene]
    scenes = [p for p in predicted if p.scene]
    found = sum(any(p.reference == s.reference for p in matches) for s in case.segments)
    localised = sum(any(localises(p, s) for p in predicted) for s in case.segments)
    scene_found = sum(
        not any(p.reference == s.reference for p in matches)
        and any(p.reference == s.reference for p in scenes)
        for s in case.segments
    )
    wrong = [p for p in matches if p.reference not in wanted]
    detail = "; ".join(_describe(p) for p in predicted)
    return CaseScore(
        case.name,
        case.kind,
        len(case.segments),
        found,
        localised,
        bool(wrong),
        len(wrong),
        case.negative,
        detail,
        scene_found,
        sum(p.reference not in wanted for p in scenes),
    )


def _describe(p: Predicted) -> str:
    if p.scene:
        return f"SCENE {p.reference} q[{p.query_start:.1f},{p.query_end:.1f}] r[{p.reference_start:.1f},{p.reference_end:.1f}] ({p.note})"
    if p.query_start is None:
        return f"{p.reference} ({p.score:.2f})"
    return (
        f"{p.reference} q[{p.query_start:.1f},{p.query_end:.1f}] r[{p.reference_start:.1f},"
        f"{p.reference_end:.1f}] ({p.score:.2f}{', ' + p.note if p.note else ''})"
    )


def tally(scores: Iterable[CaseScore]) -> dict[str, Tally]:
    """Per kind, plus ``"TOTAL copies"`` (all non-negative kinds) and ``"TOTAL negatives"``."""
    out: dict[str, Tally] = {}
    for s in scores:
        out.setdefault(s.kind, Tally()).add(s)
        out.setdefault("TOTAL negatives" if s.negative else "TOTAL copies", Tally()).add(s)
    return out


def cell(t: Tally) -> str:
    """``found/localised/false`` as ``F/L of N, false q`` compact text for the markdown table."""
    if t.expected == 0:
        return f"{t.false} false of {t.queries}" + (f" ({t.scene_wrong} as scene)" if t.scene_wrong else "")
    return (
        f"{t.found}/{t.localised}/{t.false} of {t.expected}"
        + (f" +{t.scene_found} scene" if t.scene_found else "")
        + (f" ({t.scene_wrong} wrong scene)" if t.scene_wrong else "")
    )
