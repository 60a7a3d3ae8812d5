"""The Text panel: the text on screen of the keyframes (OCR), its leads, and the boxes on a keyframe.

Everything read from the picture is untrusted: texts and leads reach Streamlit as text (dataframe
cells, ``st.code`` blocks with their copy button), never as Markdown; the boxes are drawn into the
picture with PIL (``ui.analysis.boxed``), not as HTML. Owns ``st.session_state["<key>.*"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from .. import analysis, jobs, safe
from ..analysis import KeyframeView
from ..errors import MESSAGE_LIMIT
from ..fmt import timecode

LEAD_KIND = {
    "handle": "Handle",
    "url": "Web address",
    "hashtag": "Hashtag",
    "date": "Date",
    "time": "Clock time",
    "watermark": "Edge text (watermark, channel, caption)",
}


def span(first: float, last: float) -> str:
    a = timecode(first, millis=True)
    return a if last <= first else f"{a}–{timecode(last, millis=True)}"


def item_rows(result: Any) -> list[dict[str, object]]:
    return [
        {
            "#": n,
            "When": span(i.first, i.last),
            "Text": safe.text(i.text, 500),
            "Confidence": round(float(i.confidence), 2),
            "Frames": int(i.frames),
            "Also read as": safe.text(" | ".join(i.variants), 300) if i.variants else "",
        }
        for n, i in enumerate(result.items, start=1)
    ]


def _items(key: str, result: Any) -> None:
    st.dataframe(
        item_rows(result),
        hide_index=True,
        width="stretch",
        key=f"{key}.items",
        column_config={
            "Confidence": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f")
        },
    )


def _leads(key: str, result: Any) -> None:
    st.markdown("**Leads** (to follow up by hand: nothing is looked up from here)")
    if not result.leads:
        st.caption("No handle, web address, hashtag, date or edge text found.")
        return
    for lead in (x for x in result.leads if x.kind != "watermark"):  # copyable, one block each
        st.caption(safe.fmt("{} · {}", LEAD_KIND.get(lead.kind, lead.kind), span(lead.first, lead.last)))
        st.code(safe.text(lead.value, 500), language=None)
    edge = [x for x in result.leads if x.kind == "watermark"]
    if edge:
        st.caption(LEAD_KIND["watermark"])
        st.dataframe(
            [{"Text": safe.text(x.value, 500), "When": span(x.first, x.last)} for x in edge],
            hide_index=True,
            width="stretch",
            key=f"{key}.edge",
        )


def _boxes(key: str, result: Any, frames: Sequence[KeyframeView]) -> None:
    read = [f for f in frames if analysis.items_at(result, f.time)]
    if not frames:
        return
    options = list(range(len(frames)))
    default = frames.index(read[0]) if read else 0
    choice = st.selectbox(
        "Keyframe",
        options,
        index=default,
        key=f"{key}.frame",
        format_func=lambda i: safe.text(
            f"{frames[i].number}. {timecode(frames[i].time, millis=True)} (shot {frames[i].shot})"
        ),
    )
    kf = frames[choice if choice is not None else default]
    items = analysis.items_at(result, kf.time)
    pic, side = st.columns([3, 2], gap="medium")
    with pic:
        st.image(analysis.boxed(kf.jpeg, items), width="stretch")
        st.caption(
            f"Keyframe {kf.number:d} at {timecode(kf.time, millis=True)}: boxes drawn where text was read."
        )
    with side:
        if not items:
            st.caption("No text read on this keyframe.")
        for n, item in enumerate(items, start=1):
            st.text(f"{n}. {safe.text(item.text, 300)}  ({item.confidence:.2f})")


def show(key: str, task: jobs.Task | None, frames: Sequence[KeyframeView]) -> None:
    """The Text panel of the file whose text task is ``task`` (and whose keyframes are ``frames``)."""
    st.subheader("Text on screen", anchor=False)
    if task is None:
        st.caption("The text on screen is not read for this file (audio only, or OCR is turned off).")
        return
    if task.active:
        st.progress(task.fraction, text=f"{safe.md(task.stage)}…")
        st.caption("Read on this machine after the keyframes; this panel fills in by itself.")
        return
    if task.status == "failed":
        st.warning(safe.md(task.error, MESSAGE_LIMIT), icon=":material/text_fields:")
        return
    result = analysis.text_of(str(task.result))
    if result is None:
        jobs.runner().forget(task.key)
        st.rerun()
    st.caption(
        safe.fmt(
            "{} text(s) in {} keyframe(s), {} ms per keyframe · {} · scripts: {}. Read by OCR: a lead to the "
            "source, not proof; readings can be wrong.",
            len(result.items),
            result.frames_read,
            f"{result.per_frame_ms():.0f}",
            result.engine,
            ", ".join(result.languages),
        )
    )
    if result.items:
        _items(key, result)
    else:
        st.info("No text found on the keyframes.", icon=":material/text_fields:")
    _leads(key, result)
    if result.items:
        _boxes(key, result, frames)
