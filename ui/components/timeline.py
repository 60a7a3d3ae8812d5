"""Timelines (Altair): which part of the clip matches which part of which reference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from .. import safe
from ..fmt import timecode

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
GREY = "#d9dde3"


def _title(ref: Any, limit: int = 44) -> str:
    text = safe.text(ref.display_title, 400)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def lanes_height(n: int, step: int) -> int:
    """Pixel height for ``n`` lanes plus the axis (Streamlit sizes the chart from it)."""
    return n * step + 50


def overview_lanes(matches: Sequence[Any]) -> int:
    """How many lanes :func:`clip_overview` draws: the clip, each match, and each match's sound."""
    return 1 + sum(1 + (getattr(m, "audio", None) is not None) for m in matches)


def clip_overview(duration: float, matches: Sequence[Any]) -> alt.Chart:
    """One lane for the whole clip plus one per matched reference, bars where they match; a match
    the sound supports gets a second lane, "· sound", with the stretch its sound matches."""
    rows = [
        {"lane": "This clip", "start": 0.0, "end": max(duration, 0.01), "kind": "whole clip", "label": ""}
    ]
    kinds = ["whole clip"]
    for i, m in enumerate(matches):
        lane = f"{i + 1}. {_title(m.reference)}"
        kinds.append(lane)
        a = getattr(m, "audio", None)
        picture = getattr(m, "channel", "picture") != "sound"
        rows.append({"lane": "This clip", "start": m.query_start, "end": m.query_end, "kind": lane,
                     "label": f"{timecode(m.query_start)}–{timecode(m.query_end)}"})  # fmt: skip
        if picture:
            rows.append({"lane": lane, "start": m.query_start, "end": m.query_end, "kind": lane,
                         "label": f"picture matches {timecode(m.reference_start)}–{timecode(m.reference_end)} "
                                  "of the reference"})  # fmt: skip
        else:  # the lane stays, empty: the picture does not match
            rows.append(
                {"lane": lane, "start": 0.0, "end": 0.0, "kind": lane, "label": "the picture does not match"}
            )
        if a is not None:
            rows.append({"lane": f"{lane} · sound", "start": a.query_start, "end": a.query_end, "kind": lane,
                         "label": f"sound matches {timecode(a.reference_start)}–{timecode(a.reference_end)} "
                                  "of the reference"})  # fmt: skip
    df = pd.DataFrame(rows)
    lanes = list(dict.fromkeys(df["lane"]))
    colors = [GREY] + [PALETTE[i % len(PALETTE)] for i in range(len(matches))]
    return (
        alt.Chart(df)
        .mark_bar(cornerRadius=3)
        .encode(
            x=alt.X(
                "start:Q", title="time in this clip (s)", scale=alt.Scale(domain=[0, max(duration, 0.01)])
            ),
            x2="end:Q",
            y=alt.Y(
                "lane:N",
                sort=lanes,
                title=None,
                axis=alt.Axis(labelLimit=300),
                scale=alt.Scale(paddingInner=0.35),
            ),
            color=alt.Color("kind:N", scale=alt.Scale(domain=kinds, range=colors), legend=None),
            tooltip=[alt.Tooltip("lane:N", title="lane"), alt.Tooltip("label:N", title="segment")],
        )
        .properties(height=alt.Step(34))
    )


def pair_lanes(m: Any) -> list[str]:
    """The lanes of :func:`pair`: picture and, when the sound supports the match, sound, per file."""
    if getattr(m, "audio", None) is None:
        return ["This clip", "Reference"]
    return ["This clip · picture", "This clip · sound", "Reference · picture", "Reference · sound"]


def pair(m: Any, query_duration: float, color: str) -> alt.Chart:
    """The clip and the reference, each with its matched stretch highlighted: one lane each for
    the picture and, beside it, one for the sound (where the sound supports the match)."""
    ref_dur = max(float(m.reference.duration or m.reference_end), m.reference_end, 0.01)
    q_dur = max(query_duration, 0.01)
    lanes = pair_lanes(m)
    a = getattr(m, "audio", None)
    picture = getattr(m, "channel", "picture") != "sound"
    rows = [{"lane": lane, "start": 0.0, "end": q_dur if lane.startswith("This") else ref_dur, "part": "whole"}
            for lane in lanes]  # fmt: skip
    if picture:
        rows += [
            {"lane": lanes[0], "start": m.query_start, "end": m.query_end, "part": "matched"},
            {"lane": lanes[-2] if a is not None else lanes[1], "start": m.reference_start,
             "end": m.reference_end, "part": "matched"},
        ]  # fmt: skip
    if a is not None:
        rows += [
            {"lane": lanes[1], "start": a.query_start, "end": a.query_end, "part": "matched"},
            {"lane": lanes[3], "start": a.reference_start, "end": a.reference_end, "part": "matched"},
        ]
    df = pd.DataFrame(rows)
    df["text"] = [
        f"{timecode(r.start)}–{timecode(r.end)}" if r.part == "matched" else "no match"
        for r in df.itertuples()
    ]
    return (
        alt.Chart(df)
        .mark_bar(cornerRadius=3)
        .encode(
            x=alt.X("start:Q", title="seconds (each lane on its own clock)"),
            x2="end:Q",
            y=alt.Y("lane:N", sort=lanes, title=None, scale=alt.Scale(paddingInner=0.35)),
            color=alt.Color(
                "part:N", scale=alt.Scale(domain=["whole", "matched"], range=[GREY, color]), legend=None
            ),
            tooltip=[alt.Tooltip("lane:N"), alt.Tooltip("text:N", title="span")],
        )
        .properties(height=alt.Step(30))
    )
