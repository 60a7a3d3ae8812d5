"""PDF with reportlab (no system libraries): keyframes and match frame pairs included.

reportlab's ``Paragraph`` reads a small XML markup, so untrusted strings are
``safe_text``-ed and then XML-escaped: a ``<font>`` or ``<a>`` in a title stays
text. The built-in fonts cover Latin-1; other scripts show as boxes (the JSON and
HTML keep them).
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..matching.result import EXPLANATION
from ..pictures import ImageRef
from ..report.model import Report
from ..text import plural, safe_text
from . import common

_STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_STYLES["BodyText"], fontSize=8.5, leading=10.5, splitLongWords=True)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7, leading=8.5, textColor=colors.HexColor("#444444"))
H1, H2, H3 = _STYLES["Heading1"], _STYLES["Heading2"], _STYLES["Heading3"]
WIDTH = A4[0] - 30 * mm


def x(value: Any, limit: int = common.CELL_LIMIT) -> str:
    """Untrusted value → escaped Paragraph markup (newlines kept as line breaks)."""
    text = escape(safe_text(value, limit=limit, keep_newlines=True))
    return text.replace("\n", "<br/>")


def _p(value: Any, style: ParagraphStyle = BODY, limit: int = common.CELL_LIMIT) -> Paragraph:
    return Paragraph(x(value, limit), style)


def _table(rows: list[tuple[str, Any]], widths: tuple[float, float] = (0.28, 0.72)) -> Any:
    if not rows:  # reportlab refuses a table with no rows
        return _p("(none)", SMALL)
    data = [[_p(k, BODY, 200), _p(v)] for k, v in rows]
    t = Table(data, colWidths=[WIDTH * widths[0], WIDTH * widths[1]], repeatRows=0)
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#cccccc")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return t


def _image(report: Report, ref: ImageRef | None, max_w: float) -> Any:
    if ref is None or ref.name not in report.images:
        return _p("(picture not available)", SMALL)
    w, h = max(1, ref.width), max(1, ref.height)
    k = min(max_w / w, (45 * mm) / h)
    return Image(io.BytesIO(report.images[ref.name]), width=w * k, height=h * k)


def _figure_grid(cells: list[list[Any]], cols: int) -> Table:
    rows: list[list[Any]] = [list(cells[i : i + cols]) for i in range(0, len(cells), cols)]
    rows[-1] += [""] * (cols - len(rows[-1]))
    t = Table(rows, colWidths=[WIDTH / cols] * cols)
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    return t


def _story(report: Report) -> list[Any]:
    n = report.notes
    s: list[Any] = [
        Paragraph(f"Verification notes: {x(report.file.name, 300)}", H1),
        _p(
            f"Case {report.case_id} · verdict {common.STATUS_LABEL[n.verdict].upper()} · "
            f"created {report.created_at}"
        ),
        Paragraph("File", H2),
        _table(common.file_rows(report)),
        Paragraph("Verdict and notes", H2),
    ]
    if n.summary:
        s.append(_p(n.summary, BODY, 5000))
    if n.analyst:
        s.append(_p(f"Analyst: {n.analyst} · updated {n.updated_at}", SMALL))
    s.append(
        _table(
            [
                (c.check.title(), f"{common.STATUS_LABEL[c.status]} (confidence {c.confidence})\n{c.text}")
                for c in n.checks
            ]
        )
    )
    s.append(Paragraph("Provenance signals", H2))
    s += [_p(f"{sig.severity} · {common.signal_text(sig)}") for sig in report.signals] or [_p("None found.")]
    s.append(Paragraph("Keyframes", H2))
    cells = [
        [_image(report, k.image, WIDTH / 4 - 4 * mm), _p(common.fmt_time(k.time), SMALL)]
        for k in report.keyframes
    ]
    s.append(_figure_grid(cells, 4) if cells else _p("No keyframes."))
    s.append(Paragraph("Text on screen", H2))
    if report.text is None:
        s.append(_p(common.TEXT_NOT_READ))
    else:
        s += [_p(common.text_summary(report), SMALL), _p(common.TEXT_CAVEAT, SMALL)]
        texts = common.text_rows(report)
        s.append(_table([(w, f"{t}  (confidence {c})") for w, t, c in texts], (0.2, 0.8)) if texts
                 else _p("No text found."))  # fmt: skip
        leads = common.lead_rows(report)
        if leads:
            s += [Paragraph("Leads", H3), _table([(k, f"{v}  ({w})") for k, v, w in leads], (0.2, 0.8))]
    s.append(Paragraph("Matches", H2))
    if report.library is None:
        s.append(_p("Not matched against a library."))
    else:
        s.append(
            _p(
                f"Library {common.base_name(report.library.path)} with {plural(report.library.references, 'reference')}."
            )
        )
        if not report.matches:
            s.append(
                _p("No time-aligned match in the library." if report.scenes else "No match in the library.")
            )
    for i, m in enumerate(report.matches, start=1):
        s += [
            Paragraph(f"Match {i}: {x(common.ref_label(m.reference), 300)}", H3),
            _table(common.match_rows(m, picture=common.has_picture(report))),
        ]
        pairs = []
        for p in m.evidence:
            pairs += [
                [
                    _image(report, p.query_image, WIDTH / 2 - 6 * mm),
                    _p(f"query {common.fmt_time(p.query_time)}", SMALL),
                ],
                [
                    _image(report, p.reference_image, WIDTH / 2 - 6 * mm),
                    _p(
                        f"reference {common.fmt_time(p.reference_time)} · {p.distance} bits · {common.compared_as(p.variant)}",
                        SMALL,
                    ),
                ],
            ]
        if pairs:
            s.append(KeepTogether([Spacer(1, 2 * mm), _figure_grid(pairs, 2)]))
    if report.scenes:
        s += [Paragraph(x(common.SCENES_HEADING), H2), _p(EXPLANATION, SMALL, 2000)]
        for i, sc in enumerate(report.scenes, start=1):
            s += [Paragraph(f"Same scene {i}: {x(common.ref_label(sc.reference), 300)}", H3),
                  _table(common.scene_rows(sc))]  # fmt: skip
    rows, cut = common.metadata_rows(report)
    s += [Paragraph("Metadata (as the file states it)", H2), _table(rows)]
    if cut:
        s.append(_p(f"{cut} more field(s) in the JSON record.", SMALL))
    s += [
        Paragraph("Appendix: how this was checked", H2),
        _table(common.settings_rows(report)),
        Spacer(1, 2 * mm),
        _table(sorted(report.versions.items())),
        Paragraph("Chain of custody (UTC)", H2),
        _table([(e.at, f"{e.step}: {e.detail}") for e in report.custody], (0.25, 0.75)),
    ]
    return s


def render(report: Report) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=safe_text(f"Verification notes: {report.file.name}", limit=200),
        author="verify",
        invariant=1,
    )
    doc.build(_story(report))
    return buf.getvalue()
