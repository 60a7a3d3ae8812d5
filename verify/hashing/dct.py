"""Batched pHash and dHash, bit-identical to ``imagehash.phash`` / ``imagehash.dhash``.

imagehash's pHash of an image: convert to ``L``, resize to 32x32 (PIL LANCZOS, which is
the identity for a 32x32 ``L`` image), ``scipy.fftpack.dct`` along axis 0 then axis 1,
keep the 8x8 low-frequency block, bit = coefficient > median of the 64.

Here the 8x8 block of the whole batch comes from two matrix products with the
(unnormalised, DCT-II) cosine matrix, in float64. Floating-point rounding differs
from scipy's FFT by ~1e-9 at most, which can only change a bit when the 32nd and 33rd
largest coefficients are that close; such frames (flat or symmetric pictures) are
recomputed exactly the way imagehash does, so the result is bit-identical for every
frame, not just almost every frame.

The mirrored frame's block is the same block with odd horizontal frequencies negated
(``DCT(fliplr(x))[k, l] = (-1)**l * DCT(x)[k, l]``), so the mirror hash costs no
second DCT.
"""

from __future__ import annotations

import numpy as np

from ..errors import HashingError
from .pilresize import lanczos_resize_batch

#: pHash works on 32x32 pictures and keeps the 8x8 lowest frequencies.
PHASH_SIZE = 32
HASH_SIDE = 8

# Coefficients whose middle gap is below this are recomputed exactly (the float64 error
# bound of either DCT is ~1e-6 for 8-bit input; this leaves a factor 100 of safety).
_TIE_MARGIN = 1e-4
#: frames per matrix product (see dct_low)
BLOCK = 64

_n = np.arange(PHASH_SIZE)
#: DCT-II matrix as scipy.fftpack defines it (norm=None): C[k, n] = 2 cos(pi k (2n + 1) / 2N).
_C8 = 2.0 * np.cos(np.pi * np.arange(HASH_SIDE)[:, None] * (2 * _n[None, :] + 1) / (2 * PHASH_SIZE))
_C8T = np.ascontiguousarray(_C8.T)
#: sign pattern that turns a block into its horizontal mirror's block
_MIRROR_SIGN = np.where(np.arange(HASH_SIDE) % 2 == 1, -1.0, 1.0)[None, None, :]


def check_gray_batch(gray: np.ndarray, name: str = "gray") -> np.ndarray:
    """A batch of gray frames: uint8, shape (N, H, W); a single (H, W) frame is promoted."""
    arr = np.asarray(gray)
    if arr.dtype != np.uint8:
        raise HashingError(f"{name} must be uint8 gray frames, got dtype {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1] == 0 or arr.shape[2] == 0:
        raise HashingError(f"{name} must have shape (N, H, W), got {arr.shape}")
    return arr


def _as_32(gray: np.ndarray) -> np.ndarray:
    if gray.shape[1:] == (PHASH_SIZE, PHASH_SIZE):
        return gray
    return lanczos_resize_batch(gray, PHASH_SIZE, PHASH_SIZE)


def dct_low(gray32: np.ndarray) -> np.ndarray:
    """The 8x8 low-frequency DCT-II block of each (32, 32) frame: float64 (N, 8, 8)."""
    n = gray32.shape[0]
    out = np.empty((n, HASH_SIDE, HASH_SIDE))
    # blocks of 64 frames keep OpenBLAS on one thread: its threads cost 20x more than
    # these small products when the cores are busy decoding
    for start in range(0, n, BLOCK):
        part = gray32[start : start + BLOCK]
        m = part.shape[0]
        x = part.reshape(m * PHASH_SIZE, PHASH_SIZE).astype(np.float64)
        rows = x @ _C8T  # (m*32, 8): transform along axis 1 (horizontal frequency l)
        rows = rows.reshape(m, PHASH_SIZE, HASH_SIDE).transpose(1, 0, 2).reshape(PHASH_SIZE, m * HASH_SIDE)
        block = _C8 @ rows  # (8, m*8): transform along axis 0 (vertical frequency k)
        out[start : start + m] = block.reshape(HASH_SIDE, m, HASH_SIDE).transpose(1, 0, 2)
    return out


def _bits_to_uint64(bits: np.ndarray) -> np.ndarray:
    """(N, 8, 8) bool -> (N,) uint64 with element [0, 0] as the most significant bit."""
    packed = np.packbits(bits.reshape(bits.shape[0], 64), axis=1)
    return packed.view(">u8").reshape(-1).astype(np.uint64)


def _exact_phash_bits(gray32: np.ndarray) -> np.ndarray:
    """imagehash.phash's own computation on one 32x32 frame (8x8 bools)."""
    import scipy.fftpack  # only for the rare near-tie frames: keeps the import (and RSS) lazy

    pixels = np.ascontiguousarray(gray32)
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:HASH_SIDE, :HASH_SIDE]
    return low > np.median(low)


def _block_hashes(block: np.ndarray, frames: np.ndarray, mirrored: bool) -> np.ndarray:
    flat = block.reshape(block.shape[0], 64)
    ordered = np.sort(flat, axis=1)  # vectorised sort of 64 values: faster than partition here
    low, high = ordered[:, 31], ordered[:, 32]
    bits = flat > ((low + high) * 0.5)[:, None]
    hashes = _bits_to_uint64(bits.reshape(-1, 8, 8))
    for i in np.flatnonzero(high - low < _TIE_MARGIN):
        frame = frames[i][:, ::-1] if mirrored else frames[i]
        hashes[i] = _bits_to_uint64(_exact_phash_bits(frame)[None])[0]
    return hashes


def phash_batch(gray: np.ndarray) -> np.ndarray:
    """pHash of each gray frame: uint64 (N,), bit-identical to ``imagehash.phash``.

    ``gray`` is uint8 (N, 32, 32) (other sizes are first resized exactly like PIL's
    LANCZOS, as imagehash does, which is slower). ``Hash(PHASH, int(h))`` wraps one.
    """
    frames = _as_32(check_gray_batch(gray))
    if frames.shape[0] == 0:
        return np.zeros(0, np.uint64)
    return _block_hashes(dct_low(frames), frames, mirrored=False)


def phash_batch_with_mirror(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(phash_batch(gray), phash_batch(gray[:, :, ::-1]))`` from one DCT."""
    frames = _as_32(check_gray_batch(gray))
    if frames.shape[0] == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    block = dct_low(frames)
    return (
        _block_hashes(block, frames, mirrored=False),
        _block_hashes(block * _MIRROR_SIGN, frames, mirrored=True),
    )


def dhash_batch(gray: np.ndarray) -> np.ndarray:
    """dHash of each gray frame: uint64 (N,), bit-identical to ``imagehash.dhash``.

    Frames of any size are resized to 9x8 exactly like PIL's LANCZOS (fixed-point,
    two passes); bit = pixel brighter than its left neighbour.
    """
    frames = check_gray_batch(gray)
    if frames.shape[0] == 0:
        return np.zeros(0, np.uint64)
    small = frames if frames.shape[1:] == (8, 9) else lanczos_resize_batch(frames, 9, 8)
    bits = small[:, :, 1:] > small[:, :, :-1]
    return _bits_to_uint64(bits)
