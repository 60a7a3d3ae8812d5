"""Block means of small pictures: the fine temporal signal of low-motion footage.

A 64-bit pHash of a talking head, a tripod shot or a CCTV view barely changes over time, so it
cannot say *when* a frame was taken. What moves in the picture can: the mean gray level of each
cell of a coarse grid over the (bar-free) picture, followed over time, rises and falls with a
head turning, a mouth opening, people walking through. ``verify.matching.fine`` correlates these
series between a query and a reference after taking out each cell's own average (so a fixed
logo, caption or border, a colour or brightness change do not count: only what changes does).

* :func:`cell_means` ``(N, S, S) uint8 -> (N, g*g) float32``: the ``g x g`` block means of each
  picture (cells with integer pixel bounds ``round(i * S / g)``);
* :func:`region_means` ``(pictures, box, g)``: the same cells of *another* picture (a
  reference) seen through this one: ``box`` is where the reference's picture lies in these
  pictures (fractions, may reach past the edges), each cell's mean is taken over the part of it
  this picture shows, and cells less than half visible are flagged invalid;
* references store the means x :data:`SCALE` as ``uint16`` (a 1/8 gray level: whole gray levels
  lose the small changes of leaves or far-away people, measured in docs/matching.md).
"""

from __future__ import annotations

import numpy as np

from .dct import check_gray_batch

#: Cells per side of the grid references store (36 cells).
GRID = 6
#: Stored value = mean gray level x SCALE (uint16).
SCALE = 8
#: Side of the pictures the grid is taken from (the 64x64 copy the hashes are cut from).
PICTURE_SIDE = 64


#: Pictures per summed-area table (bounds the memory: 64 x 65 x 65 float32 = 1 MB).
_BATCH = 64


def _integral(pictures: np.ndarray) -> np.ndarray:
    """Summed-area tables (N, S+1, S+1), float32 (exact: 64*64*255 < 2**24)."""
    n, h, w = pictures.shape
    out = np.zeros((n, h + 1, w + 1), np.float32)
    np.cumsum(np.cumsum(pictures, axis=1, dtype=np.float32), axis=2, out=out[:, 1:, 1:])
    return out


def _box_means(
    pictures: np.ndarray, y0: np.ndarray, y1: np.ndarray, x0: np.ndarray, x1: np.ndarray
) -> np.ndarray:
    """Mean of pixels [y0, y1) x [x0, x1) per picture and cell: (N, cells), a batch at a time."""
    area = np.maximum((y1 - y0) * (x1 - x0), 1).astype(np.float64)
    out = np.empty((pictures.shape[0], len(y0)), np.float32)
    for a in range(0, pictures.shape[0], _BATCH):
        t = _integral(pictures[a : a + _BATCH]).astype(np.float64)
        s = t[:, y1, x1] - t[:, y0, x1] - t[:, y1, x0] + t[:, y0, x0]
        out[a : a + _BATCH] = s / area
    return out


def _edges(side: int, g: int) -> np.ndarray:
    return np.round(np.arange(g + 1) * side / g).astype(np.int64)


def cell_means(pictures: np.ndarray, g: int = GRID) -> np.ndarray:
    """Block means of a ``g x g`` grid over each picture: float32 (N, g*g), row-major."""
    frames = check_gray_batch(pictures, "pictures")
    n, h, w = frames.shape
    if n == 0:
        return np.zeros((0, g * g), np.float32)
    ey, ex = _edges(h, g), _edges(w, g)
    gy, gx = np.meshgrid(np.arange(g), np.arange(g), indexing="ij")
    yy, xx = gy.ravel(), gx.ravel()
    return _box_means(frames, ey[yy], ey[yy + 1], ex[xx], ex[xx + 1])


def region_means(
    pictures: np.ndarray, box: tuple[float, float, float, float], g: int = GRID, mirror: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The ``g x g`` cells of a picture that lies at ``box`` (fractions x0, y0, x1, y1 of these
    pictures; may extend past them), as seen in these pictures.

    Returns ``(means float32 (N, g*g), valid bool (g*g,))``: each cell's mean over its visible
    part; a cell less than half inside the pictures is invalid (its mean is 0). ``mirror``: the
    pictures show the other picture mirrored (cells are read right to left).
    """
    frames = check_gray_batch(pictures, "pictures")
    n, h, w = frames.shape
    bx0, by0, bx1, by1 = box
    fx = bx0 + (bx1 - bx0) * np.arange(g + 1) / g  # cell edges in picture fractions
    fy = by0 + (by1 - by0) * np.arange(g + 1) / g
    if mirror:
        fx = 1.0 - fx[::-1]
    px = np.clip(np.round(fx * w), 0, w).astype(np.int64)
    py = np.clip(np.round(fy * h), 0, h).astype(np.int64)
    gy, gx = np.meshgrid(np.arange(g), np.arange(g), indexing="ij")
    yy, xx = gy.ravel(), gx.ravel()
    xs = g - 1 - xx if mirror else xx  # mirrored: cell column j of the other picture is g-1-j here
    x0, x1, y0, y1 = px[xs], px[xs + 1], py[yy], py[yy + 1]
    full = np.maximum((fx[xs + 1] - fx[xs]) * w, 1e-9) * np.maximum((fy[yy + 1] - fy[yy]) * h, 1e-9)
    seen = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    valid = (seen >= 0.5 * np.abs(full)) & (x1 > x0) & (y1 > y0)
    if n == 0:
        return np.zeros((0, g * g), np.float32), valid
    y0c, x0c = np.minimum(y0, h - 1), np.minimum(x0, w - 1)  # a cell past the edge: its last row/column
    means = _box_means(frames, y0c, np.maximum(y1, y0c + 1), x0c, np.maximum(x1, x0c + 1))
    means[:, ~valid] = 0.0
    return means, valid


def encode(means: np.ndarray) -> np.ndarray:
    """Block means (gray levels) -> the stored ``uint16`` (x SCALE)."""
    return np.clip(np.round(np.asarray(means, np.float64) * SCALE), 0, 255 * SCALE).astype(np.uint16)


def decode(stored: np.ndarray) -> np.ndarray:
    """Stored ``uint16`` -> block means in gray levels (float32)."""
    return np.asarray(stored, np.float32) / SCALE
