"""Plain-text views of the intake records (XMP/IPTC, OCR text, link info) for the CLI.

Every value here came from a file or a website: it goes through :func:`verify.text.safe_text`.
"""

from __future__ import annotations

from typing import Any

from ..text import safe_text


def _s(value: Any, limit: int = 200) -> str:
    return safe_text(value, limit=limit)


def xmp_lines(x: Any) -> list[str]:
    """The XMP/IPTC block of ``verify probe`` (``x`` is a ``verify.xmp.XmpInfo`` or None)."""
    if x is None:
        return []
    out = [f"XMP        {len(x.sources)} packet(s): " + ", ".join(_s(s, 60) for s in x.sources)]
    for label, value in (("creator tool", x.creator_tool), ("software", x.software),
                         ("created", x.create_date), ("modified", x.modify_date),
                         ("document id", x.document_id), ("original document", x.original_document_id),
                         ("source type", x.digital_source_type)):  # fmt: skip
        if value:
            out.append(f"  {label:<18} {_s(value)}")
    for e in x.history[:20]:
        out.append(
            f"  history  {_s(e.when or '?', 40):<26} {_s(e.action, 30):<10} {_s(e.software_agent or '', 80)}"
        )
    if len(x.history) > 20:
        out.append(f"  history  … {len(x.history) - 20} more steps")
    for name, f in (("IPTC", x.iptc), ("IPTC IIM", x.iim)):
        if not f.present:
            continue
        bits = [("creator", "; ".join(f.creator)), ("credit", f.credit), ("copyright", f.copyright),
                ("source", f.source), ("headline", f.headline), ("title", f.title),
                ("description", f.description), ("place", f.place()), ("date", f.date_created),
                ("program", f.originating_program)]  # fmt: skip
        out.append(f"{name}")
        out += [f"  {k:<18} {_s(v, 300)}" for k, v in bits if v]
    for r in x.refused:
        out.append(f"  REFUSED  {_s(r, 300)}")
    return out


def ocr_lines(r: Any) -> list[str]:
    """The text-on-screen block (``r`` is a ``verify.ocr.OcrResult``)."""
    out = [f"Text on screen  {len(r.items)} text(s) in {r.frames_read} frame(s), "
           f"{r.per_frame_ms():.0f} ms per frame ({_s(r.engine, 120)})"]  # fmt: skip
    for i in r.items:
        x0, y0, x1, y1 = i.box
        span = f"{i.first:7.2f}" + (f"-{i.last:.2f} s" if i.last > i.first else " s")
        out.append(
            f"  {span:<18} {_s(i.text, 200)!r}  conf {i.confidence:.2f}  at {x0:.2f},{y0:.2f}-{x1:.2f},{y1:.2f}"
        )
    if r.leads:
        out.append("Leads")
        out += [
            f"  {lead.kind:<10} {_s(lead.value, 200)}  ({lead.first:.2f}-{lead.last:.2f} s)"
            for lead in r.leads
        ]
    return out
