"""How a fingerprint is stored: compact rows (format 2) and the fine series.

A dense reference fingerprint has one hash per frame and variant, and most of them repeat their
neighbour (a talking head, a tripod shot, anything slow). Storage keeps what carries information:
per variant, a **run** of consecutive usable samples whose hashes all lie within
:data:`RUN_BITS` bits of the run's first hash becomes **one row** ``(hash, start, end)``, the hash
being that first one; alignment still sees the run's whole time span (``verify.matching``
expands a row into points every 0.1 s, which is what it kept of a plateau of frames before).
An unusable sample (``quality`` False) is a row of its own, kept so the fingerprint reads back.

A row of the ``fingerprints`` table in format 2 (:data:`FORMAT_ROWS`): ``n`` rows; ``times``
float64 (n,) run starts; ``ends`` float64 (n,) run ends (== start for a single sample);
``hashes`` uint64 (n,); ``codes`` int16 (n,) index into ``variants``; ``quality`` uint8 (n,);
``fine`` zlib of float64 bin times (k,) followed by uint16 block means (k, cells), with
``{"fine_shape": [k, cells]}`` in ``extra`` (see ``verify.hashing.grid``); all little-endian.
Format 1 (:data:`FORMAT_SAMPLES`, before schema 2) held ``hashes`` as (n, len(variants)) per
sample; :func:`convert_legacy` (migration 2) rewrites such rows.

This module is the one place that knows the byte layout; ``store.py`` calls :func:`encode` and
:func:`decode_rows` / :func:`decode_fingerprint`.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

FORMAT_SAMPLES = 1
FORMAT_ROWS = 2
#: Consecutive hashes within this many bits of a run's first hash join the run (measured in
#: docs/matching.md: bytes per hour against found/localised on the evaluation).
RUN_BITS = 2
#: Samples looked at per step when extending a run (vectorised search for its end).
_WINDOW = 512


@dataclass(frozen=True, eq=False)
class Rows:
    """Compact rows of one fingerprint (all arrays of length M)."""

    times: np.ndarray  # float64 run start
    ends: np.ndarray  # float64 run end
    hashes: np.ndarray  # uint64
    codes: np.ndarray  # int16 variant index
    quality: np.ndarray  # bool
    names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.hashes.shape[0])


def _runs(h: np.ndarray, ok: np.ndarray, max_bits: int) -> np.ndarray:
    """Start indices of the runs of one variant column (see the module docstring)."""
    n = len(h)
    starts = []
    i = 0
    while i < n:
        starts.append(i)
        if not ok[i]:
            i += 1
            continue
        j = i + 1
        while j < n:
            stop = min(n, j + _WINDOW)
            far = (np.bitwise_count(h[j:stop] ^ h[i]) > max_bits) | ~ok[j:stop]
            hit = np.flatnonzero(far)
            if len(hit):
                j += int(hit[0])
                break
            j = stop
        i = j
    return np.asarray(starts, np.int64)


def compact(
    times: np.ndarray,
    hashes: np.ndarray,
    quality: np.ndarray,
    names: tuple[str, ...],
    max_bits: int = RUN_BITS,
) -> Rows:
    """Per-sample hashes (N, V) -> rows, ordered by variant then time."""
    t = np.asarray(times, np.float64)
    h = np.asarray(hashes, np.uint64).reshape(len(t), -1)
    q = np.asarray(quality)
    if q.shape != t.shape or q.dtype.kind not in "biu":
        raise TypeError(f"quality must be {len(t)} booleans, got {q.dtype} {q.shape}")
    ok = q.astype(bool)
    parts: list[tuple[np.ndarray, ...]] = []
    for v in range(h.shape[1]):
        s = _runs(h[:, v], ok, max_bits)
        last = np.append(s[1:], len(t)) - 1
        parts.append((t[s], t[last], h[s, v], np.full(len(s), v, np.int16), ok[s]))
    if not parts:
        z = np.zeros(0)
        return Rows(z, z, z.astype(np.uint64), z.astype(np.int16), z.astype(bool), names)
    cols = [np.concatenate(c) for c in zip(*parts)]
    return Rows(cols[0], cols[1], cols[2].astype(np.uint64), cols[3], cols[4].astype(bool), names)


def expand(rows: Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows -> per-sample ``(times (N,), hashes (N, V), quality (N,))``: one sample per distinct
    row start; each variant's hash is that of its row covering the time. Exact for a fingerprint
    without runs (nothing was collapsed), the compacted fingerprint otherwise."""
    v = len(rows.names)
    t = np.unique(rows.times)
    out = np.zeros((len(t), v), np.uint64)
    quality = np.ones(len(t), bool)
    for code in range(v):
        mine = np.flatnonzero(rows.codes == code)
        if not len(mine):
            continue
        order = mine[np.argsort(rows.times[mine], kind="stable")]
        at = np.clip(np.searchsorted(rows.times[order], t, "right") - 1, 0, len(order) - 1)
        out[:, code] = rows.hashes[order][at]
        quality &= rows.quality[order][at]
    return t, out, quality


def encode_fine(
    fine: np.ndarray | None, fine_times: np.ndarray | None
) -> tuple[bytes | None, dict[str, Any]]:
    """The ``fine`` blob and what ``extra`` records of it."""
    if fine is None or fine_times is None or not len(fine_times):
        return None, {}
    f = np.ascontiguousarray(fine, dtype="<u2").reshape(len(fine_times), -1)
    raw = np.asarray(fine_times, "<f8").tobytes() + f.tobytes()
    return zlib.compress(raw, 6), {"fine_shape": list(f.shape)}


def decode_fine(blob: bytes | None, extra: dict[str, Any]) -> tuple[np.ndarray | None, np.ndarray | None]:
    shape = extra.get("fine_shape")
    if not blob or not shape:
        return None, None
    k, c = int(shape[0]), int(shape[1])
    raw = zlib.decompress(blob)
    times = np.frombuffer(raw[: 8 * k], "<f8").astype(np.float64)
    fine = np.frombuffer(raw[8 * k :], "<u2").reshape(k, c).astype(np.uint16)
    return fine, times


def encode(rows: Rows) -> dict[str, Any]:
    """Column values of a format-2 row (``n``, ``times``, ``ends``, ``hashes``, ``codes``, ``quality``)."""
    return {
        "format": FORMAT_ROWS,
        "n": len(rows),
        "times": np.asarray(rows.times, "<f8").tobytes(),
        "ends": np.asarray(rows.ends, "<f8").tobytes(),
        "hashes": np.asarray(rows.hashes, "<u8").tobytes(),
        "codes": np.asarray(rows.codes, "<i2").tobytes(),
        "quality": np.asarray(rows.quality, np.uint8).tobytes(),
    }


def decode_rows(
    fmt: int, n: int, times: bytes, ends: bytes | None, hashes: bytes, codes: bytes | None, quality: bytes,
    names: tuple[str, ...],
) -> Rows:  # fmt: skip
    """The rows of a stored fingerprint of either format."""
    t = np.frombuffer(times, "<f8").astype(np.float64)
    q = np.frombuffer(quality, np.uint8).astype(bool)
    if fmt == FORMAT_ROWS:
        return Rows(
            t,
            np.frombuffer(ends or b"", "<f8").astype(np.float64),
            np.frombuffer(hashes, "<u8").astype(np.uint64),
            np.frombuffer(codes or b"", "<i2").astype(np.int16),
            q,
            names,
        )
    h = np.frombuffer(hashes, "<u8").astype(np.uint64).reshape(n, len(names))
    v = len(names)
    return Rows(
        np.tile(t, v),
        np.tile(t, v),
        h.T.ravel(),
        np.repeat(np.arange(v, dtype=np.int16), n),
        np.tile(q, v),
        names,
    )


def convert_legacy(conn: sqlite3.Connection) -> int:
    """Migration 2: rewrite every format-1 fingerprint as compact rows (caller holds the
    transaction). Returns the number of fingerprints converted."""
    rows = conn.execute(
        "SELECT id, n, times, hashes, quality, variants FROM fingerprints WHERE format = ?", (FORMAT_SAMPLES,)
    ).fetchall()
    for fid, n, times, hashes, quality, variants in rows:
        names = tuple(json.loads(variants))
        t = np.frombuffer(times, "<f8")
        h = np.frombuffer(hashes, "<u8").reshape(n, len(names))
        q = np.frombuffer(quality, np.uint8).astype(bool)
        cols = encode(compact(t, h, q, names))
        conn.execute(
            "UPDATE fingerprints SET format = ?, n = ?, times = ?, ends = ?, hashes = ?, codes = ?, quality = ?"
            " WHERE id = ?",
            (cols["format"], cols["n"], cols["times"], cols["ends"], cols["hashes"], cols["codes"],
             cols["quality"], fid),
        )  # fmt: skip
    return len(rows)
