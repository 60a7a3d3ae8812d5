"""One match: the reference and its provenance, the alterations, a timeline and the frame pairs."""

from __future__ import annotations

from typing import Any

import streamlit as st

from verify.hashing.variants import describe_base, describe_variant

from .. import safe
from ..analysis import PairView
from ..fmt import pct, span, timecode
from ..safe import Md
from . import timeline


def alterations(m: Any) -> list[tuple[Md, str]]:
    """(label, colour) badges for what was done to the footage, as matching found it.

    Labels are verify's words for the reframing (``describe_base``), never region names such
    as ``band169``, and words and numbers of ours.
    """
    out = []
    if m.mirrored:
        out.append((safe.Md("mirrored"), "violet"))
    crop = describe_base(str(m.crop)) if m.crop else None
    if crop:  # verify's own words ("cropped to 85 %, off centre"), never the region's name
        out.append((safe.words(crop), "orange"))
    bars = getattr(m, "bars", None)
    if bars and any(bars):
        t, b, left, r = (int(x) for x in [*bars, 0, 0, 0, 0][:4])
        out.append(
            (safe.Md(f"black bars removed (top {t:d}, bottom {b:d}, left {left:d}, right {r:d} px)"), "gray")
        )
    if abs(float(m.speed) - 1.0) > 0.03:
        out.append((safe.Md(f"speed {float(m.speed):.2f}×"), "red"))
    if not out:
        out.append((safe.Md("no alteration detected"), "green"))
    return out


#: the channel in words (constant text: nothing from a file reaches these strings)
CHANNEL = {
    "both": "Sound and picture",
    "sound": "Sound only: the picture was replaced",
    "picture": "Picture",
}


def sound_caption(m: Any, picture: bool = True) -> str:
    """The channel and the sound's span, scores and offset: constant words and numbers only
    ("" for a picture-only match). ``picture`` False: the clip has no picture (an audio file)."""
    a = getattr(m, "audio", None)
    if a is None:
        return ""
    channel = (
        CHANNEL.get(str(getattr(m, "channel", "picture")), "Picture")
        if picture
        else "Sound: this file has no picture"
    )
    text = (
        f"{channel} · sound: this clip {span(a.query_start, a.query_end)} = reference "
        f"{span(a.reference_start, a.reference_end)} · {pct(a.score)} of its sound peaks agree"
    )
    if abs(float(a.speed) - 1.0) > 0.03:
        text += f" · sound at {float(a.speed):.2f}×"
    if getattr(m, "timing", "picture") == "sound" and getattr(m, "channel", "picture") != "sound":
        text += " · timed by the sound (the picture barely moves)"
    d = getattr(m, "sound_offset", None)
    if d is not None and abs(float(d)) > 0.25:
        text += f" · the sound is {abs(float(d)):.1f} s {'after' if d > 0 else 'before'} the picture (dubbed or re-synced)"
    return text


def show(
    key: str,
    number: int,
    m: Any,
    pairs: tuple[PairView, ...] | None,
    query_duration: float,
    picture: bool = True,
) -> None:
    """``pairs`` None: the frame pairs are still being cut (they appear by themselves). ``picture``
    False: the clip has no picture (an audio file, matched by its sound alone)."""
    ref, prov = m.reference, m.reference.provenance
    color = timeline.PALETTE[(number - 1) % len(timeline.PALETTE)]
    with st.container(border=True):
        st.subheader(f"{number:d}. {safe.md(ref.display_title, 160)}", anchor=False)
        facts = []
        if prov.first_seen:
            facts.append(safe.fmt("**First seen** {}", safe.md(prov.first_seen, 40)))
        if prov.found_at:
            facts.append(safe.fmt("**found at** {}", safe.md(prov.found_at, 120)))
        if prov.source_url:
            facts.append(safe.fmt("**source** {}", safe.link(prov.source_url)))
        st.markdown(safe.join(" · ", facts) or "No provenance recorded for this reference.")
        if "demo" in (prov.notes or "").lower() or "demo" in [t.lower() for t in prov.tags]:
            st.caption("Demo data: this reference's provenance is illustrative (bundled sample library).")
        badges = st.container(horizontal=True)
        with badges:
            if getattr(m, "channel", "picture") != "sound":
                for label, colour in alterations(m):
                    st.badge(safe.checked(label), color=colour)
            if getattr(m, "audio", None) is not None:
                st.badge(("sound only" if picture else "sound") if m.channel == "sound" else "sound and picture",
                         color="blue")  # fmt: skip
        heard = sound_caption(m, picture)
        if heard:
            st.caption(safe.md(heard, 600))
        c = st.columns(4)
        c[0].metric("This clip", span(m.query_start, m.query_end))
        c[1].metric("Reference", span(m.reference_start, m.reference_end))
        c[2].metric(
            "Score", f"{m.score:.2f}", help="0–1: how many samples align in time and how close they are."
        )
        if getattr(m, "channel", "picture") == "sound":
            c[3].metric(
                "Sound peaks agree",
                pct(m.audio.score),
                help="Share of this clip's sound peaks that land on the reference's.",
            )
        else:
            c[3].metric(
                "Frames that align",
                pct(m.aligned_fraction),
                help=f"Of the segment's frames, {pct(m.aligned_fraction)} follow the reference in time. The "
                f"segment covers {pct(m.coverage_query)} of this clip and {pct(m.coverage_reference)} of the "
                f"reference. Median distance {m.median_distance:.1f} of 64 bits.",
            )
        st.altair_chart(
            timeline.pair(m, query_duration, color),
            width="stretch",
            height=timeline.lanes_height(len(timeline.pair_lanes(m)), 30),
        )
        if pairs is None:
            st.caption("Cutting the frame pairs at aligned times…")
        elif pairs:
            st.markdown("**Frame pairs at aligned times**")
            if m.mirrored:
                st.caption("The clip is a mirror image of the reference: compare them flipped left-to-right.")
            for row in range(0, len(pairs), 2):
                cols = st.columns(2, gap="medium")
                for col, p in zip(cols, pairs[row : row + 2]):
                    with col, st.container(border=True):
                        a, b = st.columns(2, gap="small", vertical_alignment="center")
                        if p.query_jpeg:
                            a.image(p.query_jpeg, width="stretch")
                        a.caption(f"this clip at {timecode(p.query_time, millis=True)}")
                        if p.reference_jpeg:
                            b.image(p.reference_jpeg, width="stretch")
                        else:
                            b.caption("(reference file not available)")
                        b.caption(f"reference at {timecode(p.reference_time, millis=True)}")
                        st.caption(
                            f"distance **{p.distance:d}** of 64 bits · compared as {safe.md(describe_variant(p.variant), 120)}"
                        )
        with st.expander("Reference file"):
            st.text(
                f"#{ref.id} · {safe.text(ref.path, 400)}\nsha256 {ref.sha256}\nadded {safe.text(ref.added_at, 40)}"
            )
            if prov.description:
                st.text(safe.lines(prov.description, 1000))
