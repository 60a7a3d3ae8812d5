"""What every export format shows, in the same order, as plain (still untrusted) values.

The renderers (markdown, html, pdf) escape the strings they get from here; this
module only chooses and flattens. Every value that came from the file is
passed through ``verify.text.safe_text`` by the renderer, never here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..library.models import Reference
from ..probe.signals import Signal
from ..report.model import MatchRecord, Report
from ..text import clock, span

#: Longest metadata value shown in a table cell (the JSON keeps all of it).
CELL_LIMIT = 600
#: Most metadata rows shown.
MAX_ROWS = 250

STATUS_LABEL = {
    "verified": "Verified",
    "false": "False",
    "misleading": "Misleading",
    "unverified": "Unverified",
}


def base_name(path: str) -> str:
    """The last part of a path: published documents name files, not the analyst's folders."""
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def ref_label(ref: Reference) -> str:
    return ref.provenance.title or base_name(ref.path) or f"reference {ref.id}"


def signal_text(s: Signal) -> str:
    """A provenance signal as one line of text: its title and its explanation."""
    return f"{s.title}: {s.explanation}" if s.title else s.explanation


def fmt_time(t: float) -> str:
    """A frame's time, to the millisecond (``m:ss.sss``)."""
    return clock(t, 3)


def fmt_size(n: int) -> str:
    return f"{n:,} bytes"


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested dicts/lists as ``(dotted.key, leaf)`` pairs."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in value):
        for i, v in enumerate(value):
            yield from flatten(v, f"{prefix}[{i}]")
    elif isinstance(value, (list, tuple)):
        yield prefix, ", ".join(str(v) for v in value)
    else:
        yield prefix, "" if value is None else value


def metadata_rows(report: Report) -> tuple[list[tuple[str, Any]], int]:
    """Rows of the probe record (summary first) and how many were left out."""
    rows = [
        (k, v)
        for k, v in flatten(report.probe)
        if v != ""
        and not k.endswith("schema_version")
        and not k.startswith("signals")  # shown above
        and k != "file.path"  # the analyst's folders stay in the JSON record
    ]
    return rows[:MAX_ROWS], max(0, len(rows) - MAX_ROWS)


def file_rows(report: Report) -> list[tuple[str, str]]:
    f = report.file
    return [
        ("File name", f.name),
        ("Size", fmt_size(f.size)),
        ("SHA-256", f.sha256),
        ("MD5", f.md5),
        ("Received (UTC)", f.received_at),
    ]


def match_rows(rec: MatchRecord) -> list[tuple[str, str]]:
    """The facts of one match; ``reference.*`` text is untrusted (it came from the library)."""
    m, r = rec.match, rec.reference
    p = r.provenance
    pictureless = m.channel == "sound"  # the picture was replaced: no picture facts to give
    rows = [
        ("Summary", rec.summary),
        ("Reference", ref_label(r)),
        ("Source URL", p.source_url),
        ("First seen", p.first_seen),
        ("Found at", p.found_at),
        ("Reference SHA-256", r.sha256),
        ("Segment of this clip", span(m.query_start, m.query_end)),
        ("Segment of the reference", span(m.reference_start, m.reference_end)),
        ("Speed", f"{m.speed:.3f}x"),
        ("Offset", f"{m.offset:+.3f} s"),
        (
            "What was done to it",
            "" if pictureless else ", ".join(m.edits()) or "nothing visible (a plain copy)",
        ),
        (
            "Frames that align",
            f"{m.aligned_fraction:.0%} of the segment's frames" if m.aligned_fraction else "",
        ),
        (
            "Segment covers",
            ""
            if pictureless
            else f"{m.coverage_query:.0%} of this clip, {m.coverage_reference:.0%} of the reference",
        ),
        ("Median distance", "" if pictureless else f"{m.median_distance:.1f} bits"),
        ("Score", f"{m.score:.3f}"),
        *sound_rows(m),
    ]
    if p.description:
        rows.append(("Description", p.description))
    if p.tags:
        rows.append(("Tags", ", ".join(p.tags)))
    return [(k, v) for k, v in rows if v != ""]


CHANNELS = {
    "picture": "picture",
    "both": "sound and picture",
    "sound": "sound only (the picture was replaced)",
}


def sound_rows(m: Any) -> list[tuple[str, str]]:
    """What the sound says about a match (constant words and numbers only)."""
    from ..matching.fusion import SYNC_TOLERANCE

    rows = [("Channel", CHANNELS.get(m.channel, "picture"))]
    a = m.audio
    if a is None:
        return rows
    rows += [
        ("Sound segment of this clip", span(a.query_start, a.query_end)),
        ("Sound segment of the reference", span(a.reference_start, a.reference_end)),
        ("Sound score", f"{a.score:.3f} ({a.matched_peaks} of {a.query_peaks} peaks agree)"),
    ]
    if abs(a.speed - 1) > 0.03:
        rows.append(
            (
                "Sound speed",
                f"{a.speed:.3f}x, pitch {'kept' if a.pitch == 'kept' else 'shifted' if a.pitch == 'shifted' else 'unknown'}",
            )
        )
    if m.timing == "sound":
        rows.append(("Timing", "from the sound (the picture alone cannot place it)"))
    d = m.sound_offset
    if d is not None and abs(d) > SYNC_TOLERANCE:
        rows.append(("Sound offset", f"{d:+.2f} s against the picture (dubbed or re-synced)"))
    return rows


def settings_rows(report: Report) -> list[tuple[str, str]]:
    """How the file was checked, in words (the appendix); every parameter is in the JSON record."""
    st = report.settings or {}
    a = st.get("analysis") or {}
    fp = a.get("fingerprint") or {}
    mt = a.get("matching") or {}
    rows: list[tuple[str, str]] = []
    if st.get("algorithm"):
        rate = f"{fp['fps']:g} samples a second" if fp.get("fps") else "every frame"
        variants = len(fp.get("variants") or ())
        rows.append(("Fingerprint", f"{st['algorithm']} perceptual hash of {rate}, {st.get('samples', 0)} samples, "
                                    f"{variants} views of each (whole picture, mirror, crops, bands of vertical "
                                    "videos, picture-in-picture)"))  # fmt: skip
    if mt:
        rows.append(("Matching", f"frames within {mt.get('radius')} bits, aligned in time at speeds "
                                 f"{mt.get('min_speed')}x to {mt.get('max_speed')}x; a match needs at least "
                                 f"{mt.get('min_duration')} s and {mt.get('min_samples')} aligned samples"))  # fmt: skip
    if a:
        rows.append(("Keyframes", f"one per shot and one more every {a.get('long_shot_every')} s of a long shot "
                                  f"(at most {a.get('max_keyframes')})"))  # fmt: skip
    if st.get("library_hashes") is not None and report.library is not None:
        rows.append(("Library searched", f"{report.library.references} reference(s), "
                                         f"{st['library_hashes']:,} hashes"))  # fmt: skip
    return rows
