"""What every export format shows, in the same order, as plain (still untrusted) values.

The renderers (markdown, html, pdf) escape the strings they get from here; this
module only chooses and flattens. Every value that came from the file is
passed through ``verify.text.safe_text`` by the renderer, never here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..report.model import MatchRecord, ReferenceInfo, Report

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


def ref_label(ref: ReferenceInfo) -> str:
    return ref.title or base_name(ref.path) or f"reference {ref.id}"


def fmt_time(t: float) -> str:
    """Seconds as ``m:ss.sss`` (``h:mm:ss.sss`` past an hour)."""
    t = max(0.0, float(t))
    h, rest = divmod(t, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h)}:{int(m):02d}:{s:06.3f}" if h else f"{int(m)}:{s:06.3f}"


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


def match_rows(m: MatchRecord) -> list[tuple[str, str]]:
    """The facts of one match; ``reference.*`` text is untrusted (it came from the library)."""
    r = m.reference
    rows = [
        ("Summary", m.summary),
        ("Reference", ref_label(r)),
        ("Source URL", r.source_url),
        ("First seen", r.first_seen),
        ("Found at", r.found_at),
        ("Reference SHA-256", r.sha256),
        ("Query segment", f"{fmt_time(m.query_start)} – {fmt_time(m.query_end)}"),
        ("Reference segment", f"{fmt_time(m.reference_start)} – {fmt_time(m.reference_end)}"),
        ("Speed", f"{m.speed:.3f}x"),
        ("Offset", f"{m.offset:+.3f} s"),
        ("Mirrored", "yes" if m.mirrored else "no"),
        ("Crop / bars", "" if m.crop is None else str(m.crop)),
        ("Aligned frames", f"{m.aligned_fraction:.0%}" if m.aligned_fraction else ""),
        ("Coverage of query", f"{m.coverage_query:.0%}"),
        ("Coverage of reference", f"{m.coverage_reference:.0%}"),
        ("Median distance", f"{m.median_distance:.1f} bits"),
        ("Score", f"{m.score:.3f}"),
    ]
    if r.description:
        rows.append(("Description", r.description))
    if r.tags:
        rows.append(("Tags", ", ".join(r.tags)))
    return [(k, v) for k, v in rows if v != ""]


def settings_rows(report: Report) -> list[tuple[str, Any]]:
    return list(flatten(report.settings))
