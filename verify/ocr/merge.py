"""De-duplicate readings across frames: the same text at about the same place is one item.

Two readings belong together when their boxes overlap (intersection over union at least
:data:`MIN_IOU`, or centres closer than :data:`NEAR`) and their texts are alike (equal after
folding case, spaces and punctuation, or a ``difflib`` ratio of at least :data:`SIMILAR`, which
absorbs OCR noise such as ``@newsflash_now·`` vs ``@newsflash_now ·``; 0.7 for texts of up to 10
characters, where one wrong letter weighs more). The same text somewhere
else in the frame stays a separate item.
"""

from __future__ import annotations

import difflib
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from .model import Box, Detection, TextItem

MIN_IOU = 0.3
NEAR = 0.04
SIMILAR = 0.8
SIMILAR_SHORT = 0.7


def fold(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _near(a: Box, b: Box) -> bool:
    ca, cb = ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2), ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    return abs(ca[0] - cb[0]) < NEAR and abs(ca[1] - cb[1]) < NEAR


def alike(a: str, b: str) -> bool:
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return a.strip() == b.strip()
    need = SIMILAR if max(len(fa), len(fb)) > 10 else SIMILAR_SHORT  # one wrong letter in a short word
    return fa == fb or difflib.SequenceMatcher(None, fa, fb).ratio() >= need


@dataclass
class _Group:
    readings: list[tuple[float, Detection]] = field(default_factory=list)

    @property
    def last_box(self) -> Box:
        return self.readings[-1][1].box

    def item(self) -> TextItem:
        score: dict[str, float] = {}
        for _, d in self.readings:
            score[d.text] = score.get(d.text, 0.0) + d.confidence
        best = max(score, key=lambda t: (score[t], len(t)))
        times = [t for t, _ in self.readings]
        boxes = [d.box for _, d in self.readings]
        box = tuple(round(float(statistics.median(b[i] for b in boxes)), 4) for i in range(4))
        frames = len({t for t in times})
        return TextItem(
            text=best,
            first=round(min(times), 3),
            last=round(max(times), 3),
            box=box,  # type: ignore[arg-type]
            confidence=round(statistics.fmean(d.confidence for _, d in self.readings), 4),
            frames=frames,
            variants=tuple(t for t in score if t != best),
        )


def merge(readings: Sequence[tuple[float, Detection]]) -> list[TextItem]:
    """Items from ``(time, detection)`` readings, in order of first appearance then position."""
    groups: list[_Group] = []
    for t, d in sorted(readings, key=lambda r: r[0]):
        for g in groups:
            if (iou(g.last_box, d.box) >= MIN_IOU or _near(g.last_box, d.box)) and alike(
                g.readings[-1][1].text, d.text
            ):
                if g.readings[-1][0] != t:  # one reading per frame and group
                    g.readings.append((t, d))
                break
        else:
            groups.append(_Group([(t, d)]))
    items = [g.item() for g in groups]
    return sorted(items, key=lambda i: (i.first, i.box[1], i.box[0]))
