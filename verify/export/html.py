"""Self-contained HTML: inline CSS, pictures as ``data:`` URIs, nothing fetched, printable.

Every string that came from the file or the library is passed through
``safe_text`` (control characters shown visibly, huge values cut with a note)
and then HTML-escaped, so it shows as text and never acts as markup. A
Content-Security-Policy forbids scripts and any load other than inline data.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from ..matching.result import EXPLANATION
from ..pictures import ImageRef
from ..report.model import Report
from ..text import plural, safe_text
from . import common

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

CSS = """
body{font:14px/1.45 -apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;color:#1b1b1b;
 max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:2px solid #ddd;padding-bottom:3px;margin-top:28px}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f4f4f4;width:22%;font-weight:600}
.u{white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}
.mono{font-family:'DejaVu Sans Mono',Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:700;color:#fff;background:#777;
 -webkit-print-color-adjust:exact;print-color-adjust:exact}
.verified{background:#2e7d32}.false{background:#c62828}.misleading{background:#ef6c00}.unverified{background:#616161}
.grid{display:flex;flex-wrap:wrap;gap:10px}
figure{margin:0;border:1px solid #ddd;padding:4px;background:#fafafa;break-inside:avoid}
figure img{display:block;max-width:240px;height:auto}
figcaption{font-size:12px;color:#444;margin-top:2px}
.pair{display:flex;gap:6px;margin:6px 0;break-inside:avoid}
.note{color:#666;font-size:12px}
.match{break-inside:avoid-page}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}
 figure img{max-width:200px}a{color:inherit;text-decoration:none}}
"""


def esc(value: Any, limit: int = common.CELL_LIMIT) -> str:
    """Untrusted value → visible, bounded, escaped HTML text."""
    return html.escape(safe_text(value, limit=limit, keep_newlines=True), quote=True)


def _table(rows: list[tuple[str, Any]], *, mono: tuple[str, ...] = ()) -> str:
    body = "".join(
        f'<tr><th>{esc(k, 200)}</th><td class="{"mono" if k in mono else "u"}">{esc(v)}</td></tr>'
        for k, v in rows
    )
    return f"<table>{body}</table>"


def _img(report: Report, ref: ImageRef | None, alt: str) -> str:
    if ref is None or ref.name not in report.images:
        return f'<div class="note">[{esc(alt)}: picture not available]</div>'
    data = base64.b64encode(report.images[ref.name]).decode("ascii")
    return (
        f'<img src="data:{esc(ref.media_type, 40)};base64,{data}" alt="{esc(alt)}" '
        f'width="{ref.width}" height="{ref.height}">'
    )


def _link(url: str) -> str:
    """A source URL as visible text; a clickable anchor only for http(s) (nothing loads)."""
    text = esc(url)
    if url.lower().startswith(("http://", "https://")) and url.isprintable():
        return f'<a href="{html.escape(url, quote=True)}" rel="noreferrer noopener nofollow">{text}</a>'
    return text


def _notes(report: Report) -> str:
    n = report.notes
    rows = "".join(
        f'<tr><th>{c.check.title()}</th><td><span class="badge {c.status}">{common.STATUS_LABEL[c.status]}'
        f'</span> <span class="note">confidence {c.confidence}</span><div class="u">{esc(c.text, 5000)}</div>'
        "</td></tr>"
        for c in n.checks
    )
    who = f'<p class="note">Analyst: {esc(n.analyst)} · updated {esc(n.updated_at)}</p>' if n.analyst else ""
    summary = f'<p class="u">{esc(n.summary, 5000)}</p>' if n.summary else ""
    return f'<section id="notes"><h2>Verdict and notes</h2>{summary}{who}<table>{rows}</table></section>'


def _signals(report: Report) -> str:
    if not report.signals:
        return '<section id="signals"><h2>Provenance signals</h2><p class="note">None found.</p></section>'
    items = "".join(
        f'<li><b>{esc(s.severity, 40)}</b> <span class="u">{esc(common.signal_text(s))}</span></li>'
        for s in report.signals
    )
    note = '<p class="note">Metadata is easy to forge: these are leads, not proof.</p>'
    return f'<section id="signals"><h2>Provenance signals</h2>{note}<ul>{items}</ul></section>'


def _keyframes(report: Report) -> str:
    figs = "".join(
        f"<figure>{_img(report, k.image, f'keyframe at {common.fmt_time(k.time)}')}"
        f"<figcaption>{common.fmt_time(k.time)} · shot {k.shot}</figcaption></figure>"
        for k in report.keyframes
    )
    body = f'<div class="grid">{figs}</div>' if figs else '<p class="note">No keyframes.</p>'
    return f'<section id="keyframes"><h2>Keyframes</h2>{body}</section>'


def _rows3(head: tuple[str, str, str], rows: list[tuple[str, str, str]], mono: int) -> str:
    """A three-column table; column 1 is the untrusted text, column ``mono`` a time span."""
    th = "".join(f"<th>{h}</th>" for h in head)
    cls = ["", "u", ""]
    cls[mono] = "mono"
    body = "".join(
        "<tr>" + "".join(f'<td class="{c}">{esc(v, 40 if i != 1 else common.CELL_LIMIT)}</td>'
                         for i, (c, v) in enumerate(zip(cls, row))) + "</tr>"
        for row in rows
    )  # fmt: skip
    return f"<table><tr>{th}</tr>{body}</table>"


def _text(report: Report) -> str:
    head = '<section id="text"><h2>Text on screen</h2>'
    if report.text is None:
        return f'{head}<p class="note">{esc(common.TEXT_NOT_READ)}</p></section>'
    rows = common.text_rows(report)
    items = _rows3(("When", "Text", "Confidence"), rows, 0) if rows else "<p>No text found.</p>"
    leads = common.lead_rows(report)
    lead_html = f"<h3>Leads</h3>{_rows3(('Kind', 'Lead', 'When'), leads, 2)}" if leads else ""
    return (
        f'{head}<p class="note">{esc(common.text_summary(report))} {esc(common.TEXT_CAVEAT)}</p>'
        f"{items}{lead_html}</section>"
    )


def _matches(report: Report) -> str:
    lib = report.library
    if lib is None:
        return '<section id="matches"><h2>Matches</h2><p class="note">Not matched against a library.</p></section>'
    head = f'<p class="note">Library {esc(common.base_name(lib.path))} with {plural(lib.references, "reference")}.</p>'
    if not report.matches:
        none = "No time-aligned match in the library." if report.scenes else "No match in the library."
        return f'<section id="matches"><h2>Matches</h2>{head}<p>{none}</p></section>{_scenes(report)}'
    parts = []
    for i, m in enumerate(report.matches, start=1):
        rows = common.match_rows(m, picture=common.has_picture(report))
        table = _table([(k, v) for k, v in rows if k != "Source URL"], mono=("Reference SHA-256",))
        if m.reference.provenance.source_url:
            url = m.reference.provenance.source_url
            table = table.replace(
                "</table>", f'<tr><th>Source URL</th><td class="u">{_link(url)}</td></tr></table>'
            )
        pairs = "".join(
            f'<div class="pair"><figure>{_img(report, p.query_image, "query frame")}'
            f"<figcaption>query {common.fmt_time(p.query_time)}</figcaption></figure>"
            f"<figure>{_img(report, p.reference_image, 'reference frame')}"
            f"<figcaption>reference {common.fmt_time(p.reference_time)} · {p.distance} bits · "
            f"{esc(common.compared_as(p.variant), 120)}</figcaption></figure></div>"
            for p in m.evidence
        )
        parts.append(
            f'<div class="match"><h3>Match {i}: {esc(common.ref_label(m.reference), 300)}</h3>'
            f"{table}<h4>Evidence frame pairs</h4>{pairs or '<p class=note>none</p>'}</div>"
        )
    return f'<section id="matches"><h2>Matches</h2>{head}{"".join(parts)}</section>{_scenes(report)}'


def _scenes(report: Report) -> str:
    """Same scene as a reference, time undetermined: apart from the matches, with what that means."""
    if not report.scenes:
        return ""
    parts = [
        f'<div class="match"><h3>Same scene {i}: {esc(common.ref_label(sc.reference), 300)}</h3>'
        f"{_table(common.scene_rows(sc), mono=('Reference SHA-256',))}</div>"
        for i, sc in enumerate(report.scenes, start=1)
    ]
    return (
        f'<section id="scenes"><h2>{esc(common.SCENES_HEADING)}</h2><p class="note">{esc(EXPLANATION, 2000)}</p>'
        f"{''.join(parts)}</section>"
    )


def _metadata(report: Report) -> str:
    rows, cut = common.metadata_rows(report)
    more = f'<p class="note">{cut} more field(s) in the JSON record.</p>' if cut else ""
    return f'<section id="metadata"><h2>Metadata (as the file states it)</h2>{_table(rows)}{more}</section>'


def _custody(report: Report) -> str:
    rows = "".join(
        f'<tr><td class="mono">{esc(e.at, 40)}</td><td>{esc(e.step, 80)}</td><td class="u">{esc(e.detail)}'
        f"</td></tr>"
        for e in report.custody
    )
    return (
        '<section id="custody"><h2>Chain of custody (UTC)</h2><table><tr><th>When</th><th>Step</th>'
        f"<th>Detail</th></tr>{rows}</table></section>"
    )


def render(report: Report) -> str:
    n = report.notes
    title = f"Verification notes: {report.file.name}"
    versions = _table(sorted(report.versions.items()))
    settings = _table(common.settings_rows(report))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title, 200)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{esc(title, 300)}</h1><p>Case <span class="mono">{esc(report.case_id, 80)}</span> · '
        f'verdict <span class="badge {n.verdict}" id="verdict">{common.STATUS_LABEL[n.verdict]}</span> · '
        f"report created {esc(report.created_at, 40)}</p></header>"
        f'<section id="file"><h2>File</h2>{_table(common.file_rows(report), mono=("SHA-256", "MD5"))}</section>'
        f"{_notes(report)}{_signals(report)}{_keyframes(report)}{_text(report)}{_matches(report)}{_metadata(report)}"
        f'<section id="versions"><h2>Appendix: how this was checked</h2>{settings}{versions}</section>'
        f"{_custody(report)}"
        f'<footer class="note"><p>Made offline by verify {esc(report.versions.get("verify", ""), 20)}; '
        f"report schema v{report.schema_version}.</p></footer></body></html>\n"
    )
