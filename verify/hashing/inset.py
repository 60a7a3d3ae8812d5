"""Finding a picture inside the picture: an inset (picture-in-picture) or a screen filmed off a wall.

An inset is a rectangle whose four sides are *persistent edges*: whatever the footage inside and
around it does, the step across its border is there in most frames (a frame line, a change of
content). Textured scenes have strong edges too, but they move; a fixed camera's strong edges do
not form long straight lines at the four sides of one rectangle.

:func:`detect_inset` looks at a chunk of gray frames (N, H, W): the lower quartile over time of
the horizontal and vertical pixel steps keeps only the edges present in at least 3/4 of the
frames; columns (rows) where such an edge runs along a long stretch are candidate sides; the best
rectangle whose four sides are each covered along most of their length, with footage changing
inside it (a still scene's own straight edges do not count), is the inset. Returns its
inside as fractions ``(x0, y0, x1, y1)`` of the frame, or None.
"""

from __future__ import annotations

import numpy as np

from .dct import check_gray_batch

Box = tuple[float, float, float, float]

#: Gray-level step that counts as an edge (in the lower quartile over time).
EDGE_STEP = 10
#: A candidate side is covered by persistent edges along at least this fraction of the frame...
LINE_MIN = 0.15
#: ... and a rectangle's side along at least this fraction of its own length.
SIDE_MIN = 0.7
#: The inset spans 20-92% of the frame each way (smaller is too small to hash, larger is the frame).
SPAN = (0.2, 0.92)
#: At least this many frames are needed to call an edge persistent.
MIN_FRAMES = 4
#: The footage inside must change: mean absolute frame-to-frame step (gray levels).
MIN_MOTION = 1.0
#: At most this many candidate lines per direction are paired up.
MAX_LINES = 12


def _persistent(steps: np.ndarray) -> np.ndarray:
    """Per pixel, whether the step is an edge in at least 3/4 of the frames (bool (H, W))."""
    k = steps.shape[0] // 4
    return np.partition(steps, k, axis=0)[k] > EDGE_STEP


def _candidates(cover: np.ndarray) -> list[int]:
    """Lines (indices) with the most coverage, local maxima first, at most MAX_LINES."""
    idx = [i for i in range(len(cover)) if cover[i] >= LINE_MIN and cover[i] >= cover[max(i - 1, 0)]
           and cover[i] >= cover[min(i + 1, len(cover) - 1)]]  # fmt: skip
    idx.sort(key=lambda i: -cover[i])
    return sorted(idx[:MAX_LINES])


def detect_inset(gray: np.ndarray) -> Box | None:
    """The inside of a persistent rectangle in the frames, as fractions of the frame, or None."""
    frames = check_gray_batch(gray)
    n, h, w = frames.shape
    if n < MIN_FRAMES or h < 16 or w < 16:
        return None
    f = frames.astype(np.int16)
    vert = _persistent(np.abs(np.diff(f, axis=2)))  # (H, W-1): edge between column c and c+1
    horiz = _persistent(np.abs(np.diff(f, axis=1)))  # (H-1, W)
    cols = _candidates(vert.mean(axis=0))
    rows = _candidates(horiz.mean(axis=1))
    best: tuple[float, Box] | None = None
    for i, c0 in enumerate(cols):
        for c1 in cols[i + 1 :]:
            if not SPAN[0] * w <= c1 - c0 <= SPAN[1] * w:
                continue
            for j, r0 in enumerate(rows):
                for r1 in rows[j + 1 :]:
                    if not SPAN[0] * h <= r1 - r0 <= SPAN[1] * h:
                        continue
                    sides = (
                        vert[r0 + 1 : r1 + 1, c0].mean(),
                        vert[r0 + 1 : r1 + 1, c1].mean(),
                        horiz[r0, c0 + 1 : c1 + 1].mean(),
                        horiz[r1, c0 + 1 : c1 + 1].mean(),
                    )
                    if min(sides) < SIDE_MIN:
                        continue
                    score = float(sum(sides)) + 1e-3 * (c1 - c0) * (r1 - r0) / (w * h)
                    if best is None or score > best[0]:
                        # the inside: past the line and the frame's border pixel
                        box = ((c0 + 2) / w, (r0 + 2) / h, (c1 - 1) / w, (r1 - 1) / h)
                        best = (score, box)
    if best is None:
        return None
    x0, y0, x1, y1 = best[1]
    inside = f[:, round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)]
    if float(np.abs(np.diff(inside, axis=0)).mean()) < MIN_MOTION:
        return None  # a still picture's own straight edges, not footage playing in a frame
    return best[1]
