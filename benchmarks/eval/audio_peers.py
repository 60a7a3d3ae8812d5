"""Systems in the audio evaluation: verify, Chromaprint (fpcalc) and a landmark baseline.

Each has ``prepare(refs: {name: path})`` and ``query(path) -> list[Predicted]``.

* ``verify``: ``verify.audio`` with its defaults (``audio_fingerprint``, ``AudioIndex``, ``match_audio``).
* ``chromaprint``: ``fpcalc -raw`` (Debian ``libchromaprint-tools`` 1.5.1) and an AcoustID-style
  search: every offset of the query's 32-bit items against each reference, bit error rate over the
  overlap; the best offset matches when its BER is below ``BER_MAX`` (0.30, tuned on dev) over at least ``MIN_ITEMS``
  items, and the segment is the stretch whose BER (16-item windows) stays below it. Chromaprint
  items are 0.1238 s apart.
* ``landmark``: ``eval.landmark`` (an audfprint-style peak-pair fingerprinter written for this
  benchmark; audfprint itself is not installable here).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from .score import Predicted

ITEM = 4096 / 11025 / 3  # seconds between chromaprint items (0.1238)
BER_MAX = 0.30  # tuned on dev: below the lowest BER of a false match there (0.31; 0.35 gave 14 false queries)
MIN_ITEMS = 20


class Verify:
    def prepare(self, refs: dict[str, Path]) -> None:
        from verify.audio import AudioIndex, audio_fingerprint

        self.index = AudioIndex.build((name, audio_fingerprint(p)) for name, p in refs.items())

    def query(self, path: str) -> list[Predicted]:
        from verify.audio import audio_fingerprint, match_audio
        from verify.errors import NoAudioStreamError

        try:
            fp = audio_fingerprint(path)
        except NoAudioStreamError:
            return []  # as ``verify match`` says: no sound to compare
        out = []
        for m in match_audio(fp, self.index):
            note = (
                f"x{m.speed:.3f} pitch {m.pitch}, {m.matched_peaks}/{m.query_peaks} peaks, lift {m.lift:.0f}"
            )
            out.append(
                Predicted(
                    m.reference, m.score, m.query_start, m.query_end, m.reference_start, m.reference_end, note
                )
            )
        return out


def fpcalc(path: str | Path) -> np.ndarray:
    res = subprocess.run(
        ["fpcalc", "-raw", "-plain", "-length", "100000", str(path)], capture_output=True, text=True
    )
    if not res.stdout.strip():  # fpcalc 1.5.1 exits 1 with "Error decoding audio frame (End of file)" at
        return np.zeros(0, np.uint32)  # the end of many AAC files, after printing the whole fingerprint
    return np.asarray([int(v) & 0xFFFFFFFF for v in res.stdout.strip().split(",") if v], np.uint32)


def _ber(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.bitwise_count(q ^ r).astype(np.float64) / 32.0


class Chromaprint:
    def prepare(self, refs: dict[str, Path]) -> None:
        self.refs = {name: fpcalc(p) for name, p in refs.items()}

    def query(self, path: str) -> list[Predicted]:
        q = fpcalc(path)
        out = []
        if q.size < MIN_ITEMS:
            return out
        for name, r in self.refs.items():
            best = None
            for off in range(-(q.size - MIN_ITEMS), r.size - MIN_ITEMS + 1):
                qa, ra = max(0, -off), max(0, off)
                n = min(q.size - qa, r.size - ra)
                if n < MIN_ITEMS:
                    continue
                ber = float(_ber(q[qa : qa + n], r[ra : ra + n]).mean())
                if best is None or ber < best[0]:
                    best = (ber, off, qa, ra, n)
            if best is None:
                continue
            ber, off, qa, ra, n = best
            errs = _ber(q[qa : qa + n], r[ra : ra + n])
            smooth = np.convolve(errs, np.ones(16) / 16, mode="same")
            good = np.nonzero(smooth < BER_MAX)[0]
            if good.size < MIN_ITEMS:
                continue
            a, b = int(good[0]), int(good[-1]) + 1
            if float(errs[a:b].mean()) >= BER_MAX:
                continue
            out.append(
                Predicted(
                    name,
                    1 - float(errs[a:b].mean()),
                    (qa + a) * ITEM,
                    (qa + b) * ITEM,
                    (ra + a) * ITEM,
                    (ra + b) * ITEM,
                    f"BER {errs[a:b].mean():.2f}",
                )
            )
        return out


class Landmark:
    def prepare(self, refs: dict[str, Path]) -> None:
        from . import landmark

        self.db = landmark.Database()
        for name, p in refs.items():
            self.db.add(name, landmark.hashes(landmark.load(p)))

    def query(self, path: str) -> list[Predicted]:
        from . import landmark

        return [
            Predicted(
                m.reference,
                m.count,
                m.query_start,
                m.query_end,
                m.reference_start,
                m.reference_end,
                f"{m.count} hashes",
            )
            for m in self.db.match(landmark.hashes(landmark.load(path)))
        ]


SYSTEMS = {"verify": Verify, "chromaprint": Chromaprint, "landmark": Landmark}
