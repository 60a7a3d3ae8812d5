"""The matching evaluation's scoring: interval IoU and found / localised / false counting."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from eval.edits import Case, Ref, Segment, full
from eval.score import Predicted, cell, iou, localises, score_case, tally


def test_iou_of_intervals() -> None:
    assert iou(0, 10, 0, 10) == 1.0
    assert iou(0, 10, 5, 15) == pytest.approx(5 / 15)
    assert iou(0, 4, 6, 9) == 0.0
    assert iou(2, 2, 0, 10) == 0.0  # empty interval
    assert iou(10, 0, 0, 10) == 1.0  # order of the ends does not matter


def test_localised_needs_both_sides() -> None:
    seg = Segment("a", 0.0, 4.0, 8.0, 12.0)
    assert localises(Predicted("a", 1.0, 0.0, 4.0, 8.5, 12.0), seg)
    # right query side, wrong place in the reference (an excerpt found at the wrong offset)
    assert not localises(Predicted("a", 1.0, 0.0, 4.0, 0.0, 4.0), seg)
    assert not localises(Predicted("b", 1.0, 0.0, 4.0, 8.0, 12.0), seg)
    assert not localises(Predicted("a", 1.0), seg)  # no times: never localised


def test_compilation_counts_each_segment_and_wrong_references() -> None:
    case = Case("comp", "compilation", "x.mp4", (Segment("a", 0, 4, 2, 6), Segment("b", 4, 8, 3, 7)))
    got = score_case(
        case, [Predicted("a", 0.9, 0.2, 4.0, 2.2, 6.0), Predicted("b", 0.5), Predicted("c", 0.3)]
    )
    assert (got.expected, got.found, got.localised) == (2, 2, 1)
    assert got.false and got.false_matches == 1


def test_negative_any_match_is_false() -> None:
    neg = Case("n", "negative-static", "n.mp4")
    assert neg.negative
    assert not score_case(neg, []).false
    s = score_case(neg, [Predicted("a", 0.2, 0, 1, 0, 1)])
    assert s.false and s.expected == 0 and s.found == 0


def test_tally_and_cells() -> None:
    ref = Ref("a", "a.mp4", 10.0, 640, 360)
    copy = Case("c", "mirror", "c.mp4", full(ref))
    assert copy.segments[0].reference_end == 10.0
    neg = Case("n", "negative-unrelated", "n.mp4")
    t = tally([score_case(copy, [Predicted("a", 1, 0, 10, 0, 10)]), score_case(neg, [Predicted("a")])])
    assert cell(t["mirror"]) == "1/1/0 of 1"
    assert cell(t["TOTAL negatives"]) == "1 false of 1"
    assert t["TOTAL copies"].localised == 1


def test_a_copys_sound_is_the_references_sound_where_its_truth_says(tmp_path: Path) -> None:
    """``eval.sound_sets.copy_sound``: a segment's sound is the reference's over its reference span,
    time-stretched to the query span (pitch kept), reversed with the picture, silence elsewhere."""
    import numpy as np
    from eval.audio_sets import RATE, encode
    from eval.sound_sets import copy_sound

    rng = np.random.default_rng(3)
    # a 6 s "reference sound": a tone whose pitch steps every second (each second recognisable)
    t = np.arange(6 * RATE) / RATE
    x = (0.4 * np.sin(2 * np.pi * (300 + 100 * np.floor(t)) * t) + 0.01 * rng.standard_normal(len(t))).astype(
        np.float32
    )
    ref = encode(x, tmp_path / "ref.wav", ["-c:a", "pcm_f32le"])

    def pitch(y: np.ndarray) -> float:
        spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
        return float(np.argmax(spec) * RATE / len(y))

    second = RATE // 2
    plain = copy_sound((Segment("r", 1.0, 3.0, 2.0, 4.0),), 4.0, {"r": ref})
    assert np.abs(plain[: RATE // 2]).max() < 1e-3  # silence before the segment
    assert pitch(plain[int(1.2 * RATE) : int(1.2 * RATE) + second]) == pytest.approx(500, abs=15)  # ref 2-3 s
    assert pitch(plain[int(2.2 * RATE) : int(2.2 * RATE) + second]) == pytest.approx(600, abs=15)  # ref 3-4 s
    fast = copy_sound((Segment("r", 0.0, 2.0, 0.0, 4.0),), 2.0, {"r": ref})  # 2x, pitch kept
    # query 1.1-1.35 s shows ref 2.2-2.7 s
    assert pitch(fast[int(1.1 * RATE) : int(1.1 * RATE) + RATE // 4]) == pytest.approx(500, abs=25)
    back = copy_sound((Segment("r", 0.0, 2.0, 4.0, 2.0),), 2.0, {"r": ref})  # reversed
    assert pitch(back[int(0.2 * RATE) : int(0.2 * RATE) + second]) == pytest.approx(600, abs=15)
