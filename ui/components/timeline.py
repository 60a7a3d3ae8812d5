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


def clip_overview(duration: float, matches: Sequence[Any]) -> alt.Chart:
    """One lane for the whole clip plus one per matched reference, bars where they match."""
    rows = [
        {"lane": "This clip", "start": 0.0, "end": max(duration, 0.01), "kind": "whole clip", "label": ""}
    ]
    for i, m in enumerate(matches):
        lane = f"{i + 1}. {_title(m.reference)}"
        rows.append({"lane": "This clip", "start": m.query_start, "end": m.query_end, "kind": lane,
                     "label": f"{timecode(m.query_start)}–{timecode(m.query_end)}"})  # fmt: skip
        rows.append({"lane": lane, "start": m.query_start, "end": m.query_end, "kind": lane,
                     "label": f"matches {timecode(m.reference_start)}–{timecode(m.reference_end)} of the reference"})  # fmt: skip
    df = pd.DataFrame(rows)
    lanes = list(dict.fromkeys(df["lane"]))
    kinds = ["whole clip"] + [f"{i + 1}. {_title(m.reference)}" for i, m in enumerate(matches)]
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


def pair(m: Any, query_duration: float, color: str) -> alt.Chart:
    """Two lanes, the clip and the reference, each with its matched stretch highlighted."""
    ref_dur = max(float(m.reference.duration or m.reference_end), m.reference_end, 0.01)
    rows = [
        {"lane": "This clip", "start": 0.0, "end": max(query_duration, 0.01), "part": "whole"},
        {"lane": "This clip", "start": m.query_start, "end": m.query_end, "part": "matched"},
        {"lane": "Reference", "start": 0.0, "end": ref_dur, "part": "whole"},
        {"lane": "Reference", "start": m.reference_start, "end": m.reference_end, "part": "matched"},
    ]
    df = pd.DataFrame(rows)
    df["text"] = [f"{timecode(r.start)}–{timecode(r.end)}" for r in df.itertuples()]
    return (
        alt.Chart(df)
        .mark_bar(cornerRadius=3)
        .encode(
            x=alt.X("start:Q", title="seconds (each lane on its own clock)"),
            x2="end:Q",
            y=alt.Y(
                "lane:N", sort=["This clip", "Reference"], title=None, scale=alt.Scale(paddingInner=0.35)
            ),
            color=alt.Color(
                "part:N", scale=alt.Scale(domain=["whole", "matched"], range=[GREY, color]), legend=None
            ),
            tooltip=[alt.Tooltip("lane:N"), alt.Tooltip("text:N", title="span")],
        )
        .properties(height=alt.Step(30))
    )
