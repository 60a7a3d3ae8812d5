"""Markdown for a CMS or wiki, with the pictures as files beside it.

Untrusted strings are neutralised: control characters shown visibly
(``safe_text``), ``& < >`` written as entities (so no raw HTML can pass, whatever
the renderer), Markdown punctuation backslash-escaped (no links, images,
emphasis or headings can be injected), newlines shown as ``^J`` in tables.
"""

from __future__ import annotations

import re
from typing import Any

from ..matching.result import EXPLANATION
from ..pictures import ImageRef
from ..report.model import Report
from ..text import plural, safe_text
from . import common

_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:])")


def md(value: Any, limit: int = common.CELL_LIMIT, *, keep_newlines: bool = False) -> str:
    """Untrusted value → inert Markdown text."""
    text = safe_text(value, limit=limit, keep_newlines=keep_newlines)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _PUNCT.sub(r"\\\1", text)
    if keep_newlines:  # keep paragraphs, but no line may start a block construct
        text = "  \n".join(line.lstrip() for line in text.split("\n"))
    return text


def _table(rows: list[tuple[str, Any]], head: tuple[str, str] = ("Field", "Value")) -> list[str]:
    out = [f"| {head[0]} | {head[1]} |", "|---|---|"]
    out += [f"| {md(k, 200)} | {md(v)} |" for k, v in rows]
    return [*out, ""]


def _img(ref: ImageRef | None, alt: str, folder: str | None) -> str:
    if ref is None or folder is None:
        return f"_({alt}: picture not available)_"
    return f"![{alt}]({folder}/{ref.name.rsplit('/', 1)[-1]})"


def render(report: Report, image_folder: str | None = None) -> str:
    """The report as Markdown; pictures are linked from ``image_folder`` (relative) when given."""
    n = report.notes
    lines = [
        f"# Verification notes: {md(report.file.name, 300)}",
        "",
        f"**Case** {md(report.case_id, 80)} · **Verdict: {common.STATUS_LABEL[n.verdict]}** · "
        f"report created {md(report.created_at, 40)}",
        "",
        "## File",
        "",
        *_table(common.file_rows(report)),
        "## Verdict and notes",
        "",
    ]
    if n.summary:
        lines += [md(n.summary, 5000, keep_newlines=True), ""]
    if n.analyst:
        lines += [f"Analyst: {md(n.analyst)}", ""]
    lines += ["| Check | Status | Confidence | Notes |", "|---|---|---|---|"]
    lines += [
        f"| {c.check.title()} | {common.STATUS_LABEL[c.status]} | {c.confidence} | {md(c.text, 5000)} |"
        for c in n.checks
    ]
    lines += ["", "## Provenance signals", ""]
    if report.signals:
        lines += ["Metadata is easy to forge: these are leads, not proof.", ""]
        lines += [f"- **{md(s.severity, 40)}** {md(common.signal_text(s))}" for s in report.signals]
    else:
        lines.append("None found.")
    lines += ["", "## Keyframes", ""]
    for k in report.keyframes:
        when = common.fmt_time(k.time)
        lines.append(f"- {when} (shot {k.shot}): {_img(k.image, f'keyframe at {when}', image_folder)}")
    if not report.keyframes:
        lines.append("No keyframes.")
    lines += ["", "## Text on screen", ""]
    if report.text is None:
        lines.append(md(common.TEXT_NOT_READ))
    else:
        lines += [md(common.text_summary(report)), "", md(common.TEXT_CAVEAT), ""]
        lines += ["| When | Text | Confidence |", "|---|---|---|"]
        lines += [f"| {md(w, 40)} | {md(t)} | {md(c, 40)} |" for w, t, c in common.text_rows(report)]
        if not report.text.items:
            lines.append("| – | no text found | – |")
        if report.text.leads:
            lines += ["", "Leads:", "", "| Kind | Lead | When |", "|---|---|---|"]
            lines += [f"| {md(k, 40)} | {md(v)} | {md(w, 40)} |" for k, v, w in common.lead_rows(report)]
    lines += ["", "## Matches", ""]
    if report.library is None:
        lines.append("Not matched against a library.")
    else:
        lines.append(
            f"Library {md(common.base_name(report.library.path))} with {plural(report.library.references, 'reference')}."
        )
        if not report.matches:
            lines += [
                "",
                "No time-aligned match in the library." if report.scenes else "No match in the library.",
            ]
    for i, m in enumerate(report.matches, start=1):
        lines += ["", f"### Match {i}: {md(common.ref_label(m.reference), 300)}", ""]
        lines += _table(common.match_rows(m, picture=common.has_picture(report)))
        lines += ["Evidence frame pairs:", ""]
        if not m.evidence:
            lines.append("- none (a match by the sound alone has no frames to compare)")
        for p in m.evidence:
            lines.append(
                f"- query {common.fmt_time(p.query_time)} {_img(p.query_image, 'query frame', image_folder)} · "
                f"reference {common.fmt_time(p.reference_time)} "
                f"{_img(p.reference_image, 'reference frame', image_folder)} · {p.distance} bits · {md(common.compared_as(p.variant))}"
            )
    if report.scenes:
        lines += ["", f"## {common.SCENES_HEADING}", "", EXPLANATION]  # our own words
        for i, sc in enumerate(report.scenes, start=1):
            lines += ["", f"### Same scene {i}: {md(common.ref_label(sc.reference), 300)}", ""]
            lines += _table(common.scene_rows(sc))
    rows, cut = common.metadata_rows(report)
    lines += ["", "## Metadata (as the file states it)", "", *_table(rows)]
    if cut:
        lines += [f"{cut} more field(s) in the JSON record.", ""]
    lines += ["## Appendix: how this was checked", "", *_table(common.settings_rows(report), ("Step", "How"))]
    lines += _table(sorted(report.versions.items()), ("Tool", "Version"))
    lines += ["## Chain of custody (UTC)", "", "| When | Step | Detail |", "|---|---|---|"]
    lines += [f"| {md(e.at, 40)} | {md(e.step, 80)} | {md(e.detail)} |" for e in report.custody]
    lines += [
        "",
        f"_Made offline by verify {md(report.versions.get('verify', ''), 20)}; "
        f"report schema v{report.schema_version}._",
        "",
    ]
    return "\n".join(lines)
