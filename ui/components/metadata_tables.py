"""Every container, stream and EXIF field in searchable tables; the raw record as JSON on demand.

Owns ``st.session_state["<key>.search"]`` and ``["<key>.raw"]``. Values are shown as text
(control characters made visible, long values cut): nothing from the file is rendered as markup.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from verify.serial import to_jsonable

from .. import safe
from ..xmp_view import xmp_rows

_SKIP = {"tags", "schema_version"}


def _flat(prefix: str, obj: Any) -> list[dict[str, str]]:
    """Rows (field, value) of a record: its plain fields, then every tag verbatim."""
    if obj is None:
        return []
    data = to_jsonable(obj)
    rows = []
    for k, v in data.items():
        if k in _SKIP or v in (None, "", [], {}):
            continue
        if isinstance(v, (dict, list)):
            v = ", ".join(map(str, v)) if isinstance(v, list) else "; ".join(f"{a}={b}" for a, b in v.items())
        rows.append({"where": prefix, "field": k, "value": safe.text(v, 500)})
    for k, v in (data.get("tags") or {}).items():
        rows.append({"where": prefix, "field": f"tag: {safe.text(k, 120)}", "value": safe.text(v, 500)})
    return rows


def container_rows(info: Any) -> list[dict[str, str]]:
    return _flat("format", info.container) + _flat("file", info.file)


def stream_rows(info: Any) -> list[dict[str, str]]:
    out = []
    for s in info.streams:
        out += _flat(f"stream {s.index} ({s.type})", s)
    if info.timing is not None:
        out += _flat("timing scan", info.timing)
    return out


def exif_rows(info: Any) -> list[dict[str, str]]:
    img = getattr(info, "image", None)
    if img is None:
        return []
    rows = _flat("image", img) if img else []
    rows = [r for r in rows if r["field"] != "exif"]
    exif = img.exif
    if exif is not None:
        rows += _flat("exif", exif)
        rows = [
            r
            for r in rows
            if not (r["where"] == "exif" and r["field"] in ("times", "gps", "datetime_original"))
        ]
    return rows


def interpreted_rows(info: Any) -> list[dict[str, str]]:
    rows = _flat("device", info.device)
    for t in info.creation_times:
        rows.append(
            {
                "where": "creation time",
                "field": safe.text(t.source, 120),
                "value": safe.text(t.local or t.raw, 200),
            }
        )
    for g in info.gps_all or ((info.gps,) if info.gps else ()):
        value = "null island (0, 0)" if g.null_island else f"{g.latitude}, {g.longitude}, alt {g.altitude}"
        rows.append({"where": "gps", "field": safe.text(g.source, 120), "value": value})
    for k, v in (info.encoders or {}).items():
        rows.append({"where": "encoder", "field": safe.text(k, 120), "value": safe.text(v, 200)})
    rows += _flat("c2pa", info.c2pa)
    for n in info.notes:
        rows.append({"where": "probe note", "field": "", "value": safe.text(n, 500)})
    return rows


def _filter(rows: list[dict[str, str]], query: str) -> list[dict[str, str]]:
    q = query.strip().lower()
    if not q:
        return rows
    return [r for r in rows if any(q in str(v).lower() for v in r.values())]


def show(key: str, info: Any) -> None:
    query = st.text_input(
        "Search fields and values",
        key=f"{key}.search",
        placeholder="e.g. creation, location, encoder, Make",
        icon=":material/search:",
    )
    tables = {
        "Container": container_rows(info),
        "Streams": stream_rows(info),
        "EXIF": exif_rows(info),
        "Interpreted": interpreted_rows(info),
        "XMP / IPTC": xmp_rows(info),  # ui.xmp_view: creator tool, edit history, ids, IPTC fields
    }
    filtered = {name: _filter(rows, query) for name, rows in tables.items()}
    tabs = st.tabs([f"{safe.md(name)} ({len(rows)})" for name, rows in filtered.items()])
    for tab, (name, rows) in zip(tabs, filtered.items()):
        with tab:
            if rows:
                st.dataframe(
                    rows,
                    hide_index=True,
                    width="stretch",
                    height=min(38 + 35 * len(rows), 640),
                    column_config={
                        "where": st.column_config.TextColumn("Where", width="small"),
                        "field": st.column_config.TextColumn("Field", width="medium"),
                        "value": st.column_config.TextColumn("Value", width="large"),
                    },
                )
            elif name == "XMP / IPTC" and not query:
                st.caption("The file carries no XMP packet and no IPTC block.")
            elif name == "EXIF" and getattr(info, "image", None) is None:
                st.caption(
                    "EXIF belongs to stills; this file is a clip (its tags are under Container and Streams)."
                )
            else:
                st.caption("Nothing here" + (f" matches “{safe.md(query, 200)}”." if query else "."))
    if st.toggle("Show the raw record (JSON)", key=f"{key}.raw"):
        st.json(to_jsonable(info), expanded=2)
