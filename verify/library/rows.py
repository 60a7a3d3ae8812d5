"""How a fingerprint is stored: compact rows (format 2) and the fine series.

A dense reference fingerprint has one hash per frame and variant, and most of them repeat their
neighbour (a talking head, a tripod shot, anything slow). Storage keeps what carries information:
per variant, a **run** of consecutive usable samples whose hashes all lie within
:data:`RUN_BITS` bits of the run's first hash becomes **one row** ``(hash, start, end)``, the hash
being that first one; alignment still sees the run's whole time span (``verify.matching``
expands a row into points every 0.1 s, which is what it kept of a plateau of frames before).
An unusable sample (``quality`` False) is a row of its own, kept so the fingerprint reads back.

A row of the ``fingerprints`` table in format 2 (:data:`FORMAT_ROWS`), all little-endian:

* ``n`` rows, ordered by variant, then time; ``extra["row_counts"]`` = rows per variant (in the
  order of ``variants``), so a row's variant is implicit;
* ``times`` int32 (n,) run starts in milliseconds; ``ends`` int32 (n,) run ends (== start for a
  single sample); ``hashes`` uint64 (n,); ``quality`` the rows' usable flags, ``np.packbits``;
* ``fine`` zlib of: int32 bin times in ms (k,), then the uint16 block means (k, cells) (see
  ``verify.hashing.grid``), both as differences from the previous bin (the first bin as is), with
  ``extra["fine_shape"] = [k, cells]``.

16 bytes and a bit per row (a frame of one variant was 8 bytes of hash and, per frame, 9 of time
and quality), and the fine series about 0.5 MB per hour (benchmarks/results/compact.md).
Format 1 (:data:`FORMAT_SAMPLES`, before schema 3) held ``hashes`` as (n, len(variants)) per
sample; :func:`convert_legacy` (migration 3) rewrites such rows.

This module is the one place that knows the byte layout; ``store.py`` calls :func:`encode` and
:func:`decode_rows` / :func:`decode_fingerprint`.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

FORMAT_SAMPLES = 1
FORMAT_ROWS = 2
#: Consecutive hashes within this many bits of a run's first hash join the run (measured in
#: docs/matching.md: bytes per hour against found/localised on the evaluation).
RUN_BITS = 2


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
    """Start indices of the runs of one variant column (see the module docstring).

    One pass over Python ints: a run ends at the first sample more than ``max_bits`` from its
    first hash or unusable. Linear whatever the run lengths (a windowed numpy search cost a few
    microseconds per run, which dominated storing footage whose runs are short)."""
    starts: list[int] = []
    first = -1  # hash of the open run's first sample; -1: no open run (hashes are >= 0)
    for j, (x, good) in enumerate(zip(h.tolist(), ok.tolist())):
        if not good:
            starts.append(j)
            first = -1
        elif first < 0 or (x ^ first).bit_count() > max_bits:
            starts.append(j)
            first = x
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


def _ms(t: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(t, np.float64) * 1000.0).astype("<i4")


def encode_fine(
    fine: np.ndarray | None, fine_times: np.ndarray | None
) -> tuple[bytes | None, dict[str, Any]]:
    """The ``fine`` blob and what ``extra`` records of it (see the module docstring)."""
    if fine is None or fine_times is None or not len(fine_times):
        return None, {}
    f = np.asarray(fine, np.int32).reshape(len(fine_times), -1)
    t = _ms(fine_times).astype(np.int64)
    dt = np.diff(t, prepend=0).astype("<i4")
    df = np.diff(f, axis=0, prepend=np.zeros((1, f.shape[1]), np.int32)).astype("<i2")
    # high and low bytes apart: the differences are small, their high bytes mostly 0 or 255
    planes = np.ascontiguousarray(df.view(np.uint8).reshape(len(f), -1, 2).transpose(2, 0, 1))
    return zlib.compress(dt.tobytes() + planes.tobytes(), 9), {"fine_shape": list(f.shape)}


def decode_fine(blob: bytes | None, extra: dict[str, Any]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(block means uint16 (k, cells), bin times float64 (k,))`` of a ``fine`` blob, or Nones."""
    shape = extra.get("fine_shape")
    if not blob or not shape:
        return None, None
    k, c = int(shape[0]), int(shape[1])
    raw = zlib.decompress(blob)
    times = np.cumsum(np.frombuffer(raw[: 4 * k], "<i4").astype(np.int64)) / 1000.0
    planes = np.frombuffer(raw[4 * k :], np.uint8).reshape(2, k, c)
    df = np.ascontiguousarray(planes.transpose(1, 2, 0)).view("<i2").reshape(k, c).astype(np.int32)
    return np.cumsum(df, axis=0).astype(np.uint16), times


def encode(rows: Rows) -> tuple[dict[str, Any], dict[str, Any]]:
    """Column values of a format-2 row (``format``, ``n``, ``times``, ``ends``, ``hashes``, ``quality``)
    and what ``extra`` records (``row_counts``). Rows must be ordered by variant, then time."""
    codes = np.asarray(rows.codes, np.int64)
    if len(codes) and np.any(np.diff(codes) < 0):
        raise ValueError("rows must be ordered by variant")
    counts = np.bincount(codes, minlength=len(rows.names)).tolist() if len(codes) else [0] * len(rows.names)
    columns = {
        "format": FORMAT_ROWS,
        "n": len(rows),
        "times": _ms(rows.times).tobytes(),
        "ends": _ms(rows.ends).tobytes(),
        "hashes": np.asarray(rows.hashes, "<u8").tobytes(),
        "quality": np.packbits(np.asarray(rows.quality, bool)).tobytes(),
    }
    return columns, {"row_counts": counts}


def decode_rows(
    fmt: int, n: int, times: bytes, ends: bytes | None, hashes: bytes, quality: bytes, names: tuple[str, ...],
    extra: dict[str, Any],
) -> Rows:  # fmt: skip
    """The rows of a stored fingerprint of either format."""
    if fmt == FORMAT_ROWS:
        counts = extra.get("row_counts") or [n] + [0] * (len(names) - 1)
        return Rows(
            np.frombuffer(times, "<i4").astype(np.float64) / 1000.0,
            np.frombuffer(ends or b"", "<i4").astype(np.float64) / 1000.0,
            np.frombuffer(hashes, "<u8").astype(np.uint64),
            np.repeat(np.arange(len(names), dtype=np.int16), counts),
            np.unpackbits(np.frombuffer(quality, np.uint8), count=n).astype(bool),
            names,
        )
    t = np.frombuffer(times, "<f8").astype(np.float64)
    q = np.frombuffer(quality, np.uint8).astype(bool)
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


def convert_legacy(conn: Any) -> int:
    """Migration 3: rewrite every format-1 fingerprint as compact rows (caller holds the
    transaction; a SQLite connection or the PostgreSQL wrapper of ``verify.library.dialect``, SQL
    written with ``?``). Returns the number of fingerprints converted."""
    rows = conn.execute(
        "SELECT id, n, times, hashes, quality, variants, extra FROM fingerprints WHERE format = ?",
        (FORMAT_SAMPLES,),
    ).fetchall()
    for fid, n, times, hashes, quality, variants, extra in rows:
        names = tuple(json.loads(variants))
        t = np.frombuffer(bytes(times), "<f8")
        h = np.frombuffer(bytes(hashes), "<u8").reshape(n, len(names))
        q = np.frombuffer(bytes(quality), np.uint8).astype(bool)
        cols, meta = encode(compact(t, h, q, names))
        conn.execute(
            "UPDATE fingerprints SET format = ?, n = ?, times = ?, ends = ?, hashes = ?, quality = ?, extra = ?"
            " WHERE id = ?",
            (cols["format"], cols["n"], cols["times"], cols["ends"], cols["hashes"], cols["quality"],
             json.dumps({**json.loads(extra or "{}"), **meta}), fid),
        )  # fmt: skip
    return len(rows)
