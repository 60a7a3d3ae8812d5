"""The Overview: file facts, hashes, device, creation times, place, C2PA and provenance signals.

Everything shown comes from ``verify.probe.MediaInfo``; strings that came from the file are shown
as text through ``ui.safe`` (control characters visible, long values cut, never markup).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from verify.text import frame_rate

from .. import safe
from ..errors import readable
from ..fmt import size as fmt_size
from ..fmt import timecode

SEVERITY = {
    "warning": (":material/warning:", "orange", 0),
    "notice": (":material/flag:", "blue", 1),
    "info": (":material/info:", "gray", 2),
}


SEVERITY_ICON = {severity: icon for severity, (icon, _, _) in SEVERITY.items()}
C2PA_ABSENT = {
    "none": "None: the file carries no C2PA manifest.",
    "unsupported": "Not checked for this file type.",
}


def osm_link(lat: float, lon: float) -> str:
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=15/{lat:.6f}/{lon:.6f}"


def facts(info: Any, name: str | None = None) -> list[tuple[str, str]]:
    """(label, value) rows of the file facts, values as text (``safe.html_table`` escapes them).

    ``name`` is the name the file came with (an upload is stored under its sha256).
    """
    f, c, v = info.file, info.container, info.video
    w, h = info.upright_size()
    audio = next((s for s in info.streams if s.type == "audio"), None)
    rows = [("Name", name or f.name)]
    if name and name != f.name:
        rows.append(("Stored as", f.name))
    rows.append(("Size", f"{fmt_size(f.size)} ({f.size:,} bytes)"))
    rows.append(("Type (by content)", f"{f.kind} · {f.format}" + (f" · {f.mime}" if f.mime else "")))
    if f.extension_mismatch:
        rows.append(("Extension", f"{f.extension} does not match the content"))
    if c is not None and c.duration:
        rows.append(("Duration", f"{timecode(c.duration, millis=True)} ({c.duration:.3f} s)"))
    if w and h:
        rows.append(("Resolution", f"{w} × {h}" + (f" (rotated {info.rotation}°)" if info.rotation else "")))
    if v is not None:
        if v.avg_frame_rate:
            rows.append(("Frame rate", frame_rate(v.avg_frame_rate, v.real_frame_rate)))
        rows.append(("Video codec", " · ".join(x for x in (v.codec, v.profile, v.pix_fmt) if x)))
    if audio is not None:
        bits = [audio.codec or "?"]
        if audio.sample_rate:
            bits.append(f"{audio.sample_rate} Hz")
        if audio.channels:
            bits.append(f"{audio.channels} ch")
        rows.append(("Audio", " · ".join(bits)))
    if c is not None:
        rows.append(("Container", c.format_long or c.format))
        if c.major_brand:
            rows.append(("Brand", f"{c.major_brand} ({', '.join(c.compatible_brands)})"))
    if info.encoder:
        rows.append(("Encoder", info.encoder))
    return [(label, safe.text(value, 200)) for label, value in rows]


def show_facts(info: Any, name: str | None = None) -> None:
    st.subheader("File", anchor=False)
    st.html(safe.html_table(facts(info, name), "vf-facts"))
    st.markdown("**sha256**")
    st.code(info.file.sha256, language=None, wrap_lines=True)
    st.markdown("**md5**")
    st.code(info.file.md5, language=None, wrap_lines=True)


def show_tags(info: Any) -> None:
    """The title, comment, artist and similar tags the file carries (text, as written)."""
    from verify.probe.signals import descriptive_tags

    tags = descriptive_tags(info)
    if not tags:
        return
    st.subheader("Title and comments in the file", anchor=False)
    st.html(safe.html_table([(safe.text(k, 60), safe.text(v, 400)) for k, v in tags.items()], "vf-facts"))
    st.caption("Written by whoever made or edited the file: easily changed, like any tag.")


def show_signals(info: Any) -> None:
    st.subheader("Provenance signals", anchor=False)
    sigs = sorted(info.signals, key=lambda s: SEVERITY.get(s.severity, ("", "", 3))[2])
    if not sigs:
        st.success(
            "No provenance signals: nothing in the metadata stands out.", icon=":material/check_circle:"
        )
    for s in sigs:
        _, color, _ = SEVERITY.get(s.severity, (":material/info:", "gray", 3))
        with st.container(border=True):
            cols = st.columns([5, 1], vertical_alignment="center")
            cols[0].markdown(
                f"{SEVERITY_ICON.get(s.severity, ':material/info:')} **{safe.md(s.title, 200)}**"
            )
            with cols[1]:
                st.badge(safe.word(s.severity), color=color)
            st.markdown(safe.md(s.explanation, 600))
            if s.fields:
                with st.expander("Fields behind it"):
                    st.json(
                        {safe.text(k, 120): safe.text(v, 400) for k, v in s.fields.items()}, expanded=True
                    )
    st.caption("Metadata is easily forged or stripped: treat each signal as a lead to check, never as proof.")


def show_device(info: Any) -> None:
    st.subheader("Device", anchor=False)
    d = info.device
    if not d.present and not d.software:
        st.markdown("No device named in the metadata.")
        return
    lines = []
    if d.label():
        lines.append(safe.fmt("**{}**", safe.md(d.label(), 120)))
    if d.software:
        lines.append(safe.fmt("Software: {}", safe.md(d.software, 120)))
    if d.firmware:
        lines.append(safe.fmt("Firmware: {}", safe.md(d.firmware, 120)))
    st.markdown(safe.join("  \n", lines))
    if d.sources:
        st.caption(
            safe.fmt(
                "From {}",
                safe.join(", ", [safe.fmt("{} ← {}", k, safe.code(v, 80)) for k, v in d.sources.items()]),
            )
        )


def show_times(info: Any) -> None:
    st.subheader("Creation times", anchor=False)
    if not info.creation_times:
        st.markdown("No creation time in the metadata.")
        return
    rows = [
        {
            "source": safe.text(t.source, 80),
            "as written": safe.text(t.raw, 80),
            "local time": safe.text(t.local, 60) if t.local else "–",
            "UTC": safe.text(t.utc, 60) if t.utc else "unknown zone",
            "zone": safe.text(t.tz or "–", 20),
            "note": "placeholder (unset)" if t.unset else "",
        }
        for t in info.creation_times
    ]
    st.dataframe(rows, hide_index=True, width="stretch")


def show_place(info: Any) -> None:
    st.subheader("Location", anchor=False)
    g = info.gps
    if g is None:
        st.markdown("No GPS position in the metadata.")
        return
    if g.null_island or g.latitude is None or g.longitude is None:
        st.warning(
            safe.fmt(
                "The GPS tag says 0, 0 (“null island”): an unset position, not a place. Raw: {}",
                safe.code(g.raw, 80),
            ),
            icon=":material/location_off:",
        )
        return
    alt = f", altitude {float(g.altitude):.1f} m" if g.altitude is not None else ""
    st.markdown(f"**{float(g.latitude):.6f}, {float(g.longitude):.6f}**{alt}")
    st.caption(safe.fmt("From {} (as written: {})", safe.code(g.source, 80), safe.code(g.raw, 80)))
    st.link_button("Open in OpenStreetMap", osm_link(g.latitude, g.longitude), icon=":material/map:")
    if len(info.gps_all) > 1:
        others = safe.join(
            "; ",
            [
                safe.fmt("{}: {}, {}", safe.md(x.source, 60), x.latitude, x.longitude)
                for x in info.gps_all
                if x is not g
            ],
        )
        st.caption(f"Other positions in the file: {others}")


def show_c2pa(info: Any) -> None:
    st.subheader("Content Credentials (C2PA)", anchor=False)
    c = info.c2pa
    if not c.present:
        if c.state in C2PA_ABSENT:
            st.markdown(C2PA_ABSENT[c.state])
        else:
            st.markdown(safe.fmt("Could not be read: {}", safe.md(readable(c.message or c.state), 200)))
        return
    n = int(c.manifest_count)
    st.markdown(safe.fmt("**{}** · {} manifest{}", safe.md(c.state, 40), n, "" if n == 1 else "s"))
    for label, value in (
        ("Issuer", c.issuer),
        ("Signed", c.signed_at),
        ("Claim generator", c.claim_generator),
        ("Title", c.title),
    ):
        if value:
            st.markdown(safe.fmt("{}: {}", label, safe.md(value, 200)))
    if c.actions:
        st.markdown(
            safe.fmt(
                "Actions: {}", safe.join(", ", [safe.md(getattr(a, "action", a), 60) for a in c.actions])
            )
        )
    for err in c.validation_errors:
        st.warning(safe.md(err, 300))
