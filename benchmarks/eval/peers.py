"""The systems under test, one interface: ``prepare(references, workdir)`` then ``query(path)``.

* ``verify``: verify's own library + ``match_file`` (defaults; nothing tuned here);
* ``imagehash``: ``imagehash.phash`` per frame (references: every frame, queries: verify's query rate),
  stored in a verify ``Library`` under its own algorithm id and matched with verify's
  ``match_fingerprint`` -- i.e. the *same* temporal alignment, only the per-frame hash differs
  (no bar removal, no mirror/crop variants, no quality gate);
* ``vpdq``: vPDQ-style bag of PDQ hashes (``pdqhash``; the ``vpdq`` wheel does not build here):
  1 fps, quality >= 50, distance <= 31, match when >= 80 % of the query's unique hashes are in the
  reference (ThreatExchange defaults); no localisation;
* ``videohash``: one 64-bit hash per video (``videohash`` 3.0.1), similar when <= 15 % of bits differ;
* ``signature``: FFmpeg's MPEG-7 video signature filter (``detectmode=full``, default thresholds), one
  ffmpeg run per (query, library clip) pair; its "matching of video 0 at t0 and 1 at t1, N frames"
  becomes a segment of N frames at the query's frame rate on both sides.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .edits import Ref
from .score import Predicted


class System:
    name = "?"

    def prepare(self, refs: list[Ref], workdir: Path) -> None:
        raise NotImplementedError

    def query(self, path: str) -> list[Predicted]:
        raise NotImplementedError


def _fresh(p: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(str(p) + suffix).unlink(missing_ok=True)
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


class Verify(System):
    name = "verify"

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.settings = settings or {}
        self.work = {"queries": 0, "hashes": 0, "searched": 0, "pairs": 0, "match_s": 0.0}

    def prepare(self, refs: list[Ref], workdir: Path) -> None:
        from verify.library import Library, Provenance

        self.lib = Library(_fresh(workdir / "verify.db"))
        for r in refs:
            self.lib.add(r.path, Provenance(title=r.name))

    def query(self, path: str) -> list[Predicted]:
        import time

        from verify.fingerprint import QUERY, fingerprint
        from verify.matching import MatchSettings, match_fingerprint

        fp = fingerprint(path, QUERY)
        t = time.perf_counter()
        res = match_fingerprint(fp, self.lib, MatchSettings(**self.settings), top=20)
        self.work["match_s"] += time.perf_counter() - t
        self.work["queries"] += 1
        self.work["searched"] += res.query.searched_hashes
        self.work["pairs"] += res.query.candidate_pairs
        self.work["hashes"] += res.query.usable_samples * len(fp.settings.variants)
        return self.predictions(res)

    def predictions(self, res: Any) -> list[Predicted]:
        out = [
            _segment(
                m,
                f"x{m.speed:.2f}{' mirror' if m.mirrored else ''}{' ' + str(m.crop) if m.crop else ''}"
                f"{' rot' + str(m.rotation) if getattr(m, 'rotation', 0) else ''}"
                f" n={getattr(m, 'aligned_samples', '?')} f={getattr(m, 'aligned_fraction', 0):.2f}"
                f" {getattr(m, 'method', '')} {getattr(m, 'channel', '')}".rstrip(),
            )
            for m in res.matches
        ]
        for x in getattr(res, "scenes", ()):
            out.append(
                Predicted(
                    x.reference.provenance.title,
                    x.matched_fraction,
                    x.query_start,
                    x.query_end,
                    x.reference_start,
                    x.reference_end,
                    note=f"{x.kind} d={x.median_distance:.0f}",
                    scene=True,
                )
            )
        return out


class VerifySound(Verify):
    """verify with sound on, as ``verify match`` runs: references hashed with their sound
    (``Library.add``'s default), each query through ``match_file`` (picture and sound fingerprinted
    in one decode, matched, fused). Run on the sets of :mod:`.sound_sets`."""

    name = "verify+sound"

    def query(self, path: str) -> list[Predicted]:
        import time

        from verify.matching import MatchSettings, match_file

        t = time.perf_counter()
        res = match_file(path, self.lib, settings=MatchSettings(**self.settings), top=20)
        self.work["match_s"] += time.perf_counter() - t
        self.work["queries"] += 1
        self.work["searched"] += res.query.searched_hashes
        self.work["pairs"] += res.query.candidate_pairs
        return self.predictions(res)


def _segment(m: Any, note: str) -> Predicted:
    """A verify SegmentMatch as the harness's prediction."""
    return Predicted(
        m.reference.provenance.title,
        m.score,
        m.query_start,
        m.query_end,
        m.reference_start,
        m.reference_end,
        note=note,
        alternatives=tuple(getattr(m, "alternatives", ())),
    )


def _imagehash_fp(path: str, fps: float | None) -> Any:
    import imagehash
    from PIL import Image

    from verify.fingerprint import Fingerprint, FingerprintSettings
    from verify.frames import Sampling, iter_frames

    sampling = Sampling() if fps is None else Sampling(mode="fps", fps=fps)
    times, hashes = [], []
    for fr in iter_frames(path, sampling):
        h = imagehash.phash(Image.fromarray(fr.image)).hash.ravel()
        hashes.append(int(np.packbits(h).view(">u8")[0]))
        times.append(fr.time)
    settings = FingerprintSettings(fps=fps, variants=("full",), remove_bars=False)
    t = np.asarray(times, np.float64)
    dur = float(t[-1] + (1.0 / fps if fps else 1 / 30)) if len(t) else 0.0
    return Fingerprint(
        algorithm="imagehash-phash-64/peer",
        settings=settings,
        times=t,
        hashes=np.asarray(hashes, np.uint64).reshape(-1, 1),
        quality=np.ones(len(t), bool),
        duration=dur,
    )


class ImagehashAlign(System):
    name = "imagehash"

    def prepare(self, refs: list[Ref], workdir: Path) -> None:
        from verify import fingerprint as fpmod
        from verify.library import Library, Provenance, file_sha256

        self.ref_fps = getattr(getattr(fpmod, "REFERENCE", None), "fps", None)
        self.query_fps = getattr(getattr(fpmod, "QUERY", None), "fps", None) or 2.0
        self.lib = Library(_fresh(workdir / "imagehash.db"))
        for r in refs:
            fp = _imagehash_fp(r.path, self.ref_fps)
            self.lib.add_fingerprint(fp, r.path, Provenance(title=r.name), sha256=file_sha256(r.path))

    def query(self, path: str) -> list[Predicted]:
        from verify.matching import match_fingerprint

        res = match_fingerprint(_imagehash_fp(path, self.query_fps), self.lib, top=20)
        return [_segment(m, f"x{m.speed:.2f}") for m in res.matches]


def _pdq(path: str) -> np.ndarray:
    import pdqhash

    from verify.frames import Sampling, iter_frames

    out = []
    for fr in iter_frames(path, Sampling(mode="fps", fps=1.0)):
        bits, quality = pdqhash.compute(np.ascontiguousarray(fr.image))
        if quality >= 50:
            out.append(np.packbits(bits.astype(np.uint8)))
    if not out:
        return np.zeros((0, 32), np.uint8)
    return np.unique(np.stack(out), axis=0)  # vPDQ dedupes identical frame hashes


def _within(a: np.ndarray, b: np.ndarray, radius: int) -> np.ndarray:
    """For each row of ``a``: is any row of ``b`` within ``radius`` bits."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(len(a), bool)
    x = np.bitwise_xor(a[:, None, :], b[None, :, :])
    d = np.bitwise_count(x).sum(-1)
    return (d <= radius).any(1)


class VPDQ(System):
    name = "vpdq"
    distance, query_pct, index_pct = 31, 80.0, 0.0

    def prepare(self, refs: list[Ref], workdir: Path) -> None:
        self.refs = [(r.name, _pdq(r.path)) for r in refs]

    def query(self, path: str) -> list[Predicted]:
        q = _pdq(path)
        out = []
        for name, h in self.refs:
            if len(q) == 0 or len(h) == 0:
                continue
            qp = 100.0 * _within(q, h, self.distance).mean()
            rp = 100.0 * _within(h, q, self.distance).mean()
            if qp >= self.query_pct and rp >= self.index_pct:
                out.append(Predicted(name, qp / 100.0, note=f"q{qp:.0f}% r{rp:.0f}%"))
        return out


class VideoHashPeer(System):
    name = "videohash"
    max_bits = 10  # videohash.is_similar: <= ceil(15 % of 64)

    def _hash(self, path: str) -> Any:
        from PIL import Image

        if not hasattr(Image, "ANTIALIAS"):  # videohash 3.0.1 predates Pillow 10
            Image.ANTIALIAS = Image.LANCZOS  # type: ignore[attr-defined]
        from videohash import VideoHash

        tmp = tempfile.mkdtemp(prefix="vh-", dir=self.workdir)
        try:
            return VideoHash(path=path, storage_path=tmp + os.sep)  # videohash wants the trailing slash
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def prepare(self, refs: list[Ref], workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.refs = [(r.name, self._hash(r.path)) for r in refs]

    def query(self, path: str) -> list[Predicted]:
        q = self._hash(path)
        out = []
        for name, h in self.refs:
            d = q - h
            if d <= self.max_bits:
                out.append(Predicted(name, 1.0 - d / 64.0, note=f"{d} bits"))
        return out


_SIG = re.compile(r"matching of video 0 at ([0-9.]+) and 1 at ([0-9.]+), (\d+) frames matching")


def _limit_memory() -> None:  # a comparison that blows up fails instead of swapping the shared machine
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


class Signature(System):
    """FFmpeg's MPEG-7 ``signature`` filter, query against each library clip (one ffmpeg run per pair)."""

    name = "signature"

    def prepare(self, refs: list[Ref], workdir: Path) -> None:
        self.refs = refs

    def _pair(self, path: str, ref: Ref, fps: float) -> list[Predicted]:
        from .ffmpeg import ffmpeg_exe

        graph = "[0:v][1:v]signature=nb_inputs=2:detectmode=full"
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", path, "-i", ref.path, "-filter_complex", graph,
               "-f", "null", "-"]  # fmt: skip
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)
        except subprocess.TimeoutExpired:
            return []
        out = []
        for m in _SIG.finditer(res.stderr):
            q0, r0, n = float(m.group(1)), float(m.group(2)), int(m.group(3))
            d = n / fps
            out.append(Predicted(ref.name, float(n), q0, q0 + d, r0, r0 + d, note=f"{n} frames"))
        return out

    def query(self, path: str) -> list[Predicted]:
        from concurrent.futures import ThreadPoolExecutor

        from .ffmpeg import probe

        fps = probe(path).fps or 30.0
        with ThreadPoolExecutor(2) as ex:
            parts = list(ex.map(lambda r: self._pair(path, r, fps), self.refs))
        return [p for part in parts for p in part]


SYSTEMS: dict[str, type[System]] = {
    "verify": Verify,
    "verify+sound": VerifySound,
    "imagehash": ImagehashAlign,
    "vpdq": VPDQ,
    "videohash": VideoHashPeer,
    "signature": Signature,
}
