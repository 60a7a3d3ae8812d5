"""The Matches timelines: the sound's segment in its own lane beside the picture's."""

from __future__ import annotations

from dataclasses import replace

from tests.test_fusion import REFS, picture, sound
from ui.components import timeline
from verify.matching.fusion import fuse


def _rows(chart: object) -> list[dict]:
    spec = chart.to_dict()  # type: ignore[attr-defined]
    return next(iter(spec["datasets"].values()))


def test_a_match_on_both_channels_has_a_sound_lane_beside_the_picture() -> None:
    # the picture 0-10 s of the query at reference 5-15 s; the sound runs on to 30 s (a still after 10 s)
    both, tail = fuse([picture(q=(0.0, 10.0))], [sound(q=(0.0, 30.0))], reference_of=REFS.get).matches
    assert (both.channel, tail.channel) == ("both", "sound")
    assert timeline.pair_lanes(both) == ["This clip · picture", "This clip · sound", "Reference · picture",
                                         "Reference · sound"]  # fmt: skip
    matched = {
        (r["lane"], r["start"], r["end"])
        for r in _rows(timeline.pair(both, 30.0, "#000"))
        if r["part"] == "matched"
    }
    assert ("This clip · picture", 0.0, 10.0) in matched and ("Reference · picture", 5.0, 15.0) in matched
    assert ("This clip · sound", 0.0, 10.0) in matched and ("Reference · sound", 5.0, 15.0) in matched

    # sound only: the picture lanes have nothing matched, the sound lanes the sound's stretch
    rows = _rows(timeline.pair(tail, 30.0, "#000"))
    assert {r["lane"] for r in rows if r["part"] == "matched"} == {"This clip · sound", "Reference · sound"}

    overview = _rows(timeline.clip_overview(30.0, [both, tail]))
    lanes = {r["lane"] for r in overview}
    assert timeline.overview_lanes([both, tail]) == len(lanes) == 5
    sound_bars = [(r["start"], r["end"]) for r in overview if r["lane"].endswith("· sound")]
    assert sorted(sound_bars) == [(0.0, 10.0), (10.0, 30.0)]


def test_a_picture_only_match_keeps_two_lanes() -> None:
    m = replace(picture(), channel="picture", audio=None)
    assert timeline.pair_lanes(m) == ["This clip", "Reference"]
    assert timeline.overview_lanes([m]) == 2
