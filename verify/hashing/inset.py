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
#: Horizontal sides may move this many rows between frames (a scrolling screen recording); 1-2
#: moved the box off a framed inset by a row (10 bits instead of 6 on the test), so off for now.
SCROLL_ROWS = 0


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
    # a screen recording may scroll: a top or bottom side moving a pixel or two between frames
    # still counts as persistent (rows dilated by SCROLL_ROWS)
    hsteps = np.abs(np.diff(f, axis=1))
    horiz = _persistent(_dilate_rows(hsteps, SCROLL_ROWS))  # (H-1, W)
    still_rows = _persistent(hsteps)
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
    # the dilation blurs where a horizontal side is: take the row its undilated edge covers best
    c0, c1 = round(x0 * w) - 2, round(x1 * w) + 1
    for which in (1, 3):
        r = round((y0 if which == 1 else y1) * h) - (2 if which == 1 else -1)
        rows = [k for k in range(r - SCROLL_ROWS, r + SCROLL_ROWS + 1) if 0 <= k < h - 1]
        cover = [float(still_rows[k, c0 + 1 : c1 + 1].mean()) for k in rows]
        here = float(still_rows[r, c0 + 1 : c1 + 1].mean()) if 0 <= r < h - 1 else 0.0
        if rows and here < SIDE_MIN <= max(cover):
            k = rows[int(np.argmax(cover))]
            if which == 1:
                y0 = (k + 2) / h
            else:
                y1 = (k - 1) / h
    best = (best[0], (x0, y0, x1, y1))
    ya, yb, xa, xb = round(y0 * h), round(y1 * h), round(x0 * w), round(x1 * w)
    step = np.abs(np.diff(f, axis=0))
    inside = float(step[:, ya:yb, xa:xb].mean())
    outside_mask = np.ones((h, w), bool)
    outside_mask[ya:yb, xa:xb] = False
    outside = float(step[:, outside_mask].mean()) if outside_mask.any() else 0.0
    if inside < MIN_MOTION and outside < MIN_MOTION:
        # a still picture's own straight edges, not footage in a frame (footage that barely moves,
        # a fixed camera shown as a picture-in-picture, counts when what is around it moves)
        return None
    return best[1]


def _dilate_rows(steps: np.ndarray, k: int) -> np.ndarray:
    """Per frame, the maximum over rows r-k..r+k (edges that move up or down by up to k pixels)."""
    out = steps.copy()
    for d in range(1, k + 1):
        np.maximum(out[:, d:], steps[:, :-d], out=out[:, d:])
        np.maximum(out[:, :-d], steps[:, d:], out=out[:, :-d])
    return out
