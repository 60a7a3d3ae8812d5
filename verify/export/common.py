"""What every export format shows, in the same order, as plain (still untrusted) values.

The renderers (markdown, html, pdf) escape the strings they get from here; this
module only chooses and flattens. Every value that came from the file is
passed through ``verify.text.safe_text`` by the renderer, never here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..library.models import Reference
from ..matching.result import SceneMatch
from ..probe.signals import Signal
from ..report.model import MatchRecord, Report
from ..text import clock, plural, span

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


def compared_as(variant: str) -> str:
    """How a frame pair was compared, in words (never a region name such as ``band169``)."""
    from ..hashing.variants import describe_variant

    return describe_variant(variant)


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


def has_picture(report: Report) -> bool:
    """Whether the report's file has a picture (False for an audio file: matched by its sound)."""
    f = report.probe.get("file")
    return not (isinstance(f, dict) and f.get("kind") == "audio")


def _reference_rows(summary: str, r: Reference) -> list[tuple[str, str]]:
    """The summary sentence and which known clip it is: the first rows of a match and of a scene."""
    p = r.provenance
    return [
        ("Summary", summary),
        ("Reference", ref_label(r)),
        ("Source URL", p.source_url),
        ("First seen", p.first_seen),
        ("Found at", p.found_at),
        ("Reference SHA-256", r.sha256),
    ]


def match_rows(rec: MatchRecord, *, picture: bool = True) -> list[tuple[str, str]]:
    """The facts of one match; ``reference.*`` text is untrusted (it came from the library).
    ``picture``: the file has a picture (False: an audio file, matched by its sound alone)."""
    m, r = rec.match, rec.reference
    p = r.provenance
    pictureless = m.channel == "sound"  # the picture was replaced: no picture facts to give
    rows = [
        *_reference_rows(rec.summary, r),
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
        *sound_rows(m, picture=picture),
    ]
    if p.description:
        rows.append(("Description", p.description))
    if p.tags:
        rows.append(("Tags", ", ".join(p.tags)))
    return [(k, v) for k, v in rows if v != ""]


#: The heading and the explanation of the same-scene results (the words of ``verify match``).
SCENES_HEADING = "Same scene, time undetermined (not matches)"


def scene_rows(s: SceneMatch) -> list[tuple[str, str]]:
    """The facts of one same-scene result; ``reference.*`` is untrusted (it came from the library)."""
    rows = [
        *_reference_rows(s.summary(), s.reference),
        ("Segment of this clip", span(s.query_start, s.query_end)),
        ("Could be any moment of the reference in", span(s.reference_start, s.reference_end)),
        ("What the picture is", "a still picture" if s.kind == "still" else "a fixed view"),
        (
            "Frames within",
            f"{plural(round(s.median_distance), 'bit')} for {s.matched_fraction:.0%} of {plural(s.samples, 'sample')}",
        ),
        (
            "Best correlation of what moves",
            "" if s.best_correlation is None else f"{s.best_correlation:.2f} (at any alignment)",
        ),
    ]
    return [(k, v) for k, v in rows if v != ""]


#: What the "Text on screen" section says when OCR did not run.
TEXT_NOT_READ = "Not read (the text on screen is read on request: `verify report FILE --ocr`, or the workbench's Text panel)."
TEXT_CAVEAT = "Read by OCR from the keyframes: a lead to the clip's source (a handle, watermark, caption), not proof; readings can be wrong."


def text_span(first: float, last: float) -> str:
    """The time span of a text on screen (one time when it was read in one frame only)."""
    return span(first, last) if last > first else clock(first, 1)


def text_rows(report: Report) -> list[tuple[str, str, str]]:
    """The texts read on screen as ``(time span, text, confidence)`` (text untrusted: it came from the picture)."""
    if report.text is None:
        return []
    return [
        (
            text_span(i.first, i.last),
            i.text,
            f"{i.confidence:.2f} ({i.frames} frame{'s' if i.frames != 1 else ''})",
        )
        for i in report.text.items
    ]


def lead_rows(report: Report) -> list[tuple[str, str, str]]:
    """The leads in the text on screen as ``(kind, value, time span)`` (value untrusted)."""
    if report.text is None:
        return []
    return [(lead.kind, lead.value, text_span(lead.first, lead.last)) for lead in report.text.leads]


def text_summary(report: Report) -> str:
    """One line on how the text was read (engine, keyframes, scripts)."""
    t = report.text
    if t is None:
        return TEXT_NOT_READ
    return (
        f"{plural(len(t.items), 'text')} and {plural(len(t.leads), 'lead')} in {plural(t.frames_read, 'keyframe')}; "
        f"{t.engine}; scripts read: {', '.join(t.languages) or 'unknown'}."
    )


def sound_rows(m: Any, *, picture: bool = True) -> list[tuple[str, str]]:
    """What the sound says about a match (constant words and numbers only)."""
    from ..matching.fusion import SYNC_TOLERANCE, channel_words

    rows = [("Channel", channel_words(m.channel, picture))]
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
    if m.timing == "sound" and m.channel != "sound":
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
    if report.text is not None:
        rows.append(("Text on screen", f"OCR of {report.text.frames_read} keyframe picture(s) on this machine "
                                       f"({report.text.engine}); nothing was uploaded"))  # fmt: skip
    if st.get("library_hashes") is not None and report.library is not None:
        rows.append(("Library searched", f"{plural(report.library.references, 'reference')}, "
                                         f"{st['library_hashes']:,} hashes"))  # fmt: skip
    return rows
