"""The XMP and IPTC record of a file (``MediaInfo.xmp``, a ``verify.xmp.XmpInfo``) as table rows.

Rows are ``{"where", "field", "value"}`` like the Metadata page's other tables; values are the
file's verbatim strings through ``safe.text`` (dataframe cells show text, never markup).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from . import safe

_MAIN = ("creator_tool", "software", "create_date", "modify_date", "metadata_date", "document_id",
         "original_document_id", "instance_id", "digital_source_type", "toolkit")  # fmt: skip


def _row(where: str, name: str, value: Any) -> dict[str, str]:
    if isinstance(value, (tuple, list)):
        value = "; ".join(str(v) for v in value)
    return {"where": where, "field": name, "value": safe.text(value, 2000)}


def xmp_rows(info: Any) -> list[dict[str, str]]:
    x = getattr(info, "xmp", None)
    if x is None:
        return []
    rows = [_row("XMP", name, getattr(x, name)) for name in _MAIN if getattr(x, name)]
    if x.generators:
        rows.append(_row("XMP", "AI generator named", x.generators))
    rows += [_row("XMP DerivedFrom", k, v) for k, v in x.derived_from.items() if v]
    for n, h in enumerate(x.history, start=1):
        step = " · ".join(str(v) for v in (h.action, h.software_agent, h.when, h.changed, h.parameters) if v)
        rows.append(_row("XMP History", f"step {n}", step))
    for where, block in (("IPTC (XMP)", x.iptc), ("IPTC (IIM)", x.iim)):
        for f in fields(block):
            value = getattr(block, f.name)
            if value and f.name not in ("location_created", "location_shown"):
                rows.append(_row(where, f.name, value))
            elif value:
                for loc in value:
                    parts = [str(getattr(loc, g.name)) for g in fields(loc) if getattr(loc, g.name)]
                    rows.append(_row(where, f.name, ", ".join(parts)))
    rows += [_row("XMP refused", "packet", r) for r in x.refused]
    rows += [_row("XMP property", k, v) for k, v in x.properties.items()]
    return rows
