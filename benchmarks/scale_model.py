"""Synthetic reference fingerprints whose statistics are fitted to real footage (bench_scale.py).

The model (fitted by :func:`fit` on corpus footage fingerprinted with verify's REFERENCE settings,
checked against it by :func:`compare`):

* **A hash is a rank threshold of a latent.** pHash sets a bit where a DCT coefficient exceeds
  the median of the 64, so every real hash has exactly 32 ones (and one bit, the DC term, is
  always set). A synthetic hash is the top 32 of a latent vector ``z`` in R^64 (the DC bit's mean
  is +inf). ``z = mu + sqrt(1 - w) * m_shot + sqrt(w) * u_t``: ``mu`` from the real bit
  frequencies (probit), ``m`` and ``u`` Gaussian with the correlation ``C`` of the real bits
  (``sin(pi/2 * phi)``, shrunk towards the identity by ``shrink``). The correlated, biased bits
  are what make unrelated real hashes meet within 10 bits ~10x more often than uniform ones.
* **Shots of near-identical consecutive frames.** A reference is a sequence of shots (durations
  drawn from the real ``shot_seconds``); within a shot ``u`` is a smooth stationary process, a
  critically damped AR(2) ``u_t = 2 rho u_t-1 - rho^2 u_t-2 + e_t`` (normalised): motion is
  ballistic over a few frames, like a pan, and decorrelates over a second or so. Each shot takes
  the smoothness ``rho`` fitted to one real clip (its mean distance between consecutive frames
  and its median distance 15 frames apart), so tripod shots and fast handheld ones mix as in the
  corpus; slow shots give runs of identical hashes by themselves (the rank threshold ignores
  small latent moves).
* **Variants are correlated latents.** ``z_crop85 = a * z_full + sqrt(1 - a^2) * x``,
  ``z_crop60 = b * z_crop85 + sqrt(1 - b^2) * y`` with ``x, y`` independent copies of the process,
  ``a, b`` fitted to the real same-frame distances.
* **Compaction.** Frames are then compacted like references are: by :func:`compact` (the stand-in:
  a new sample starts when any variant moved more than ``threshold`` bits from the sample that
  opened the run) until verify's own compaction lands, then by that.

Generation is vectorised over frames (the rank threshold is one ``np.partition`` per distinct
frame and variant); compaction runs over a batch of references in lockstep.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, field
from math import comb
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import lfilter
from scipy.stats import norm

FPS = 30.0
VARIANTS = ("full", "crop85", "crop60")


# -- real footage -----------------------------------------------------------------------------


def real_fingerprints(corpus: Path, cache: Path) -> dict[str, dict[str, np.ndarray]]:
    """One clip per near-duplicate group of the corpus's real footage (>= 2 s), fingerprinted
    with REFERENCE settings; cached in ``cache`` (an .npz)."""
    if cache.exists():
        z = np.load(cache)
        names = sorted({k.split("|")[0] for k in z.files})
        return {n: {k: z[f"{n}|{k}"] for k in ("h", "t", "q", "s")} for n in names}
    from verify import fingerprint as fpm

    manifest = json.loads((corpus / "manifest.json").read_text())["files"]
    out: dict[str, dict[str, np.ndarray]] = {}
    seen: set[str] = set()
    for f in sorted(manifest, key=lambda f: f["name"]):
        if f["category"] != "real-footage" or f["kind"] != "video" or (f.get("duration") or 0) < 2:
            continue
        group = f.get("near_dup_group")
        if group and group in seen:
            continue
        fp = fpm.fingerprint(corpus / "files" / f["name"], fpm.REFERENCE)
        if tuple(fp.settings.variants) != VARIANTS:
            raise SystemExit(f"REFERENCE variants changed to {fp.settings.variants}: refit the model")
        if group:
            seen.add(group)
        out[f["name"]] = {"h": fp.hashes, "t": fp.times, "q": fp.quality, "s": np.array(fp.shots)}
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **{f"{n}|{k}": v for n, d in out.items() for k, v in d.items()})
    return out


# -- the model --------------------------------------------------------------------------------


@dataclass
class Model:
    mu: list[float]  # latent mean per bit (the always-set DC bit: a large value)
    corr: list[list[float]]  # latent correlation (64 x 64)
    w: float  # within-shot share of the latent variance
    a: float  # full -> crop85 latent correlation
    b: float  # crop85 -> crop60 latent correlation
    profiles: list[tuple[float, float]]  # (real mean lag-1 distance, fitted rho) per real clip
    shot_seconds: list[float]  # real shot durations to draw from
    shrink: float = 0.3
    mu_scale: float = 1.0
    notes: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=0))

    @classmethod
    def load(cls, path: Path) -> Model:
        return cls(**json.loads(path.read_text()))

    def chol(self) -> np.ndarray:
        return np.linalg.cholesky(np.asarray(self.corr) + 1e-9 * np.eye(64))


def _bits(h: np.ndarray) -> np.ndarray:
    return ((h[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).astype(np.float64)


def _pack(z: np.ndarray) -> np.ndarray:
    """Top-32 rank threshold of each row of ``z`` (n, 64) -> uint64 hashes with 32 ones."""
    med = np.partition(z, 31, axis=1)[:, 31:33].mean(axis=1)
    return np.packbits(z > med[:, None], axis=1, bitorder="little").view(np.uint64).ravel()


def fit_correlation(
    real: dict[str, dict[str, np.ndarray]], shrink: float, mu_scale: float
) -> tuple[list, list]:
    """Latent mean and correlation from the real bits (clips weighted equally)."""
    bits = [_bits(d["h"][d["q"], 0]) for d in real.values()]
    weights = np.concatenate([np.full(len(b), 1.0 / len(b)) for b in bits])
    x = np.concatenate(bits)
    p = np.clip(np.average(x, axis=0, weights=weights), 1e-3, 1 - 1e-3)
    mu = norm.ppf(p) * mu_scale
    mu[p > 0.995] = 8.0  # the DC bit: always set
    xc = (x - p) / np.sqrt(p * (1 - p))
    phi = np.cov(xc.T, aweights=weights)
    phi = np.nan_to_num(phi / np.sqrt(np.outer(np.diag(phi), np.diag(phi)) + 1e-12))
    c = np.sin(np.pi / 2 * np.clip(phi, -1, 1))
    np.fill_diagonal(c, 1.0)
    c = (1 - shrink) * c + shrink * np.eye(64)
    vals, vecs = np.linalg.eigh(c)  # nearest positive definite
    c = (vecs * np.clip(vals, 1e-3, None)) @ vecs.T
    d = np.sqrt(np.diag(c))
    c = c / np.outer(d, d)
    return mu.tolist(), c.tolist()


# -- generation -------------------------------------------------------------------------------


class Generator:
    """Synthetic frame hashes (n_frames, 3) for references, from a fitted :class:`Model`.

    The latent correlation is applied as its top ``RANK`` eigen-components plus independent
    noise carrying the remaining variance (a 16 x 64 product per frame instead of 64 x 64)."""

    RANK = 16

    def __init__(self, model: Model, seed: int) -> None:
        self.m = model
        self.rng = np.random.default_rng(seed)
        vals, vecs = np.linalg.eigh(np.asarray(model.corr))
        top = np.argsort(vals)[::-1][: self.RANK]
        self.P = (vecs[:, top] * np.sqrt(vals[top])).T.astype(np.float32)  # (k, 64)
        self.resid = np.sqrt(np.clip(1.0 - (self.P**2).sum(axis=0), 1e-6, None)).astype(np.float32)
        self.mu = np.asarray(model.mu, np.float32)

    def _white(self, n: int) -> np.ndarray:
        """(RANK + 64, n) independent unit normals: the factors, then the per-bit residuals."""
        return self.rng.standard_normal((self.RANK + 64, n), dtype=np.float32)

    def _project(self, x: np.ndarray) -> np.ndarray:
        """(RANK + 64, n) unit-variance processes -> (n, 64) latents with the model's correlation."""
        return x[: self.RANK].T @ self.P + x[self.RANK :].T * self.resid

    def _gauss(self, n: int) -> np.ndarray:
        return self._project(self._white(n))

    def _process(self, n: int, rho: float) -> np.ndarray:
        """One shot's base latent per frame (n, 64): a shot mean plus a smooth stationary process
        (critically damped AR(2): motion is ballistic over a few frames, like a pan)."""
        var = _ar2_var(rho)
        r1 = 2 * rho / (1 + rho * rho)  # lag-1 autocorrelation: start in the stationary state
        d = self.RANK + 64
        y1 = self.rng.standard_normal(d) * np.sqrt(var)
        y2 = r1 * y1 + np.sqrt(1 - r1 * r1) * np.sqrt(var) * self.rng.standard_normal(d)
        a1, a2 = -2 * rho, rho * rho
        zi = np.stack([-a1 * y1 - a2 * y2, -a2 * y1], axis=1)  # (d, 2)
        u, _ = lfilter([1.0], [1.0, a1, a2], self._white(n), axis=1, zi=zi)
        u = self._project((u * (1.0 / np.sqrt(var))).astype(np.float32))
        w = np.float32(self.m.w)
        return np.sqrt(1 - w) * self._gauss(1) + np.sqrt(w) * u

    def frames(self, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """(times (n,), hashes (n, 3)) of one synthetic reference of ``seconds``."""
        n = int(seconds * FPS)
        times = np.arange(n) / FPS
        out = np.empty((n, 3), np.uint64)
        a, b = np.float32(self.m.a), np.float32(self.m.b)
        shots = np.asarray(self.m.shot_seconds)
        i = 0
        while i < n:
            length = min(n - i, max(1, int(shots[self.rng.integers(shots.size)] * FPS)))
            rho = self.m.profiles[int(self.rng.integers(len(self.m.profiles)))][1]
            xf = self._process(length, rho)
            z85 = a * xf + np.sqrt(1 - a * a) * self._process(length, rho)
            z60 = b * z85 + np.sqrt(1 - b * b) * self._process(length, rho)
            for col, z in enumerate((xf, z85, z60)):
                out[i : i + length, col] = _pack(z + self.mu)
            i += length
        return times, out


def _ar2_var(rho: float) -> float:
    """Variance of u_t = 2 rho u_t-1 - rho^2 u_t-2 + e_t for unit innovations."""
    return (1 + rho * rho) / ((1 - rho * rho) ** 3)


def compact(times: np.ndarray, hashes: np.ndarray, threshold: int) -> np.ndarray:
    """Stand-in compaction: indices of the samples that open a run (a sample opens a run when some
    variant is more than ``threshold`` bits from the run's first sample)."""
    n = len(times)
    if n == 0:
        return np.zeros(0, np.int64)
    d_next = np.bitwise_count(hashes[1:] ^ hashes[:-1]).max(axis=1)
    cand = np.flatnonzero(np.r_[True, d_next > 0])  # identical repeats never open a run
    keep = [0]
    start = hashes[0].tolist()
    for i, row in zip(cand[1:].tolist(), hashes[cand[1:]].tolist()):
        if max((a ^ b).bit_count() for a, b in zip(row, start)) > threshold:
            keep.append(i)
            start = row
    return np.array(keep, np.int64)


# -- statistics and the realism check ---------------------------------------------------------


def uniform_cdf(k: int) -> float:
    return sum(comb(64, i) for i in range(k + 1)) / 2.0**64


def stats(clips: list[tuple[np.ndarray, np.ndarray]], threshold: int) -> dict[str, Any]:
    """Statistics of a set of clips ``(times, hashes (n, 3))`` at 30 fps."""
    out: dict[str, Any] = {}
    allh = np.concatenate([h for _, h in clips])
    out["popcount_32_share"] = float((np.bitwise_count(allh) == 32).mean())
    d1 = np.concatenate([np.bitwise_count(h[1:, 0] ^ h[:-1, 0]) for _, h in clips])
    out["consecutive_full"] = {str(k): float((d1 == k).mean()) for k in (0, 2, 4, 6, 8)}
    out["consecutive_full"]["10+"] = float((d1 >= 10).mean())
    for lag in (15, 90):
        d = np.concatenate([np.bitwise_count(h[lag:, 0] ^ h[:-lag, 0]) for _, h in clips if len(h) > lag])
        out[f"lag{lag}_full_median"] = float(np.median(d))
    for x, y in ((0, 1), (0, 2), (1, 2)):
        out[f"same_frame_{VARIANTS[x]}_{VARIANTS[y]}_median"] = float(
            np.median(np.bitwise_count(allh[:, x] ^ allh[:, y]))
        )
    # unrelated rows: every frame's full hash against every other clip's rows (all variants)
    lab = np.concatenate([np.full(len(h), i) for i, (_, h) in enumerate(clips)])
    hist, pairs = np.zeros(65), 0
    rows = allh.reshape(-1)
    rlab = np.repeat(lab, 3)
    step = max(1, 4_000_000 // max(1, rows.size))
    for a in range(0, len(allh), step):
        d = np.bitwise_count(allh[a : a + step, 0, None] ^ rows[None, :])
        other = lab[a : a + step, None] != rlab[None, :]
        hist += np.bincount(d[other], minlength=65)
        pairs += int(other.sum())
    cdf = np.cumsum(hist) / max(pairs, 1)
    out["unrelated_within"] = {str(k): float(cdf[k]) for k in (8, 10, 12, 14, 16, 20)}
    out["unrelated_vs_uniform"] = {str(k): float(cdf[k] / uniform_cdf(k)) for k in (10, 12, 14, 16, 20)}
    # nearest unrelated row of each sampled frame (full) among the other clips' rows
    pick = np.arange(0, len(allh), 5)
    nn = []
    for a in range(0, pick.size, 256):
        idx = pick[a : a + 256]
        d = np.bitwise_count(allh[idx, 0, None] ^ rows[None, :]).astype(np.int16)
        d[lab[idx, None] == rlab[None, :]] = 99
        nn.append(d.min(axis=1))
    nn_all = np.concatenate(nn)
    out["nearest_unrelated_percentiles_5_25_50"] = [float(np.percentile(nn_all, q)) for q in (5, 25, 50)]
    samples = sum(len(compact(t, h, threshold)) for t, h in clips)
    seconds = sum(len(t) for t, _ in clips) / FPS
    out["compacted_samples_per_second"] = samples / seconds
    out["rows_per_second"] = 3 * samples / seconds
    out["frames"] = len(allh)
    return out


def real_clips(real: dict[str, dict[str, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(d["t"][d["q"]], d["h"][d["q"]]) for d in real.values()]


def fit(real: dict[str, dict[str, np.ndarray]], *, shrink: float = 0.9, mu_scale: float = 0.45,
        w: float = 0.85, seed: int = 0) -> Model:  # fmt: skip
    """Fit the model to real clips: bit statistics, per-clip motion profiles, variant relations."""
    mu, corr = fit_correlation(real, shrink, mu_scale)
    shots: list[float] = []
    for d in real.values():
        t = d["t"]
        starts = [*list(d["s"]), float(t[-1]) + 1 / FPS] if len(d["s"]) else [0.0, float(t[-1])]
        shots += [b - a for a, b in itertools.pairwise(starts) if b - a > 0.5]
    base = Model(mu, corr, w, 0.8, 0.5, [(0.5, 0.9)], shots, shrink, mu_scale)
    rng = np.random.default_rng(seed)
    # motion profile per real clip: the smoothness rho that best matches its drift at lags 1 and 15
    profiles = []
    for d in real.values():
        h = d["h"][d["q"]]
        if len(h) < 40:
            continue
        t1 = float(np.mean(np.bitwise_count(h[1:, 0] ^ h[:-1, 0])))
        t15 = float(np.median(np.bitwise_count(h[15:, 0] ^ h[:-15, 0])))
        best = min(
            (abs(l1 - t1) / 2 + abs(l15 - t15) / 8, rho)
            for rho in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.96, 0.97, 0.98)
            for l1, l15 in [_lags(base, rho, len(h), rng)]
        )
        profiles.append((t1, best[1]))
    base.profiles = profiles
    # variant correlations: match the same-frame medians full~crop85 and crop85~crop60
    real_all = np.concatenate([d["h"][d["q"]] for d in real.values()])
    t85 = float(np.median(np.bitwise_count(real_all[:, 0] ^ real_all[:, 1])))
    t60 = float(np.median(np.bitwise_count(real_all[:, 1] ^ real_all[:, 2])))
    base.a = _fit_mix(base, t85)
    base.b = _fit_mix(base, t60)
    return base


def _lags(model: Model, rho: float, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """Mean distance at lag 1 and median at lag 15 of a synthetic shot of smoothness ``rho``."""
    g = Generator(model, int(rng.integers(1 << 30)))
    h = _pack(g._process(max(n, 600), rho) + g.mu)
    return float(np.mean(np.bitwise_count(h[1:] ^ h[:-1]))), float(
        np.median(np.bitwise_count(h[15:] ^ h[:-15]))
    )


def _fit_mix(model: Model, target: float) -> float:
    g = Generator(model, 1)
    x, y = g._gauss(4000), g._gauss(4000)
    best = (99.0, 0.5)
    for a in np.linspace(0.3, 0.99, 24):
        z = a * x + np.sqrt(1 - a * a) * y
        d = float(np.median(np.bitwise_count(_pack(x + g.mu) ^ _pack(z + g.mu))))
        best = min(best, (abs(d - target), float(a)))
    return best[1]


def compare(real: dict[str, Any], synth: dict[str, Any]) -> list[str]:
    """Markdown rows: each statistic for real footage and the synthetic model."""
    lines = ["| statistic | real footage | synthetic |", "|---|---|---|"]

    def fmt(v: Any) -> str:
        if isinstance(v, dict):
            return ", ".join(f"{k}: {fmt(x)}" for k, x in v.items())
        if isinstance(v, list):
            return " / ".join(fmt(x) for x in v)
        if isinstance(v, float):
            return f"{v:.3g}"
        return str(v)

    for key in real:
        lines.append(f"| {key} | {fmt(real[key])} | {fmt(synth.get(key))} |")
    return lines
