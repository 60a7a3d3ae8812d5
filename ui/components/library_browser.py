"""Browse and search the known-footage library; see one reference; remove it.

Owns ``st.session_state["<key>.*"]``. Reads and writes go through ``verify.library.Library``.
Every library field is shown as text (``ui.safe``); a source URL is a link only when it is an
http(s) URL, shown in full, in the reference's details (the table shows it as text).
"""

from __future__ import annotations

import time

import streamlit as st

from verify.library import Library

from .. import safe
from ..errors import guard
from ..fmt import size as fmt_size
from ..fmt import timecode
from .library_picker import ActiveLibrary

#: How long the "Removed reference" message stays.
FLASH_SECONDS = 10.0


def _rows(refs: list) -> list[dict[str, object]]:
    return [
        {
            "id": r.id,
            "title": safe.text(r.display_title, 120),
            "first seen": safe.text(r.provenance.first_seen, 20),
            "found at": safe.text(r.provenance.found_at, 80),
            "source": safe.text(r.provenance.source_url, 200),
            "duration": timecode(r.duration),
            "size": f"{r.width}×{r.height}" if r.width else "",
            "tags": ", ".join(safe.text(t, 40) for t in r.provenance.tags),
            "added": (r.added_at or "")[:19].replace("T", " "),
        }
        for r in refs
    ]


def _remove(key: str, path: str, ref_id: int) -> None:
    with Library(path) as lib:
        removed = lib.remove(ref_id)
    message = safe.fmt("Removed reference #{}: {}", int(removed.id), safe.md(removed.display_title, 120))
    st.session_state[f"{key}.flash"] = (message, time.monotonic())


def show(key: str, library: ActiveLibrary) -> None:
    flash = st.session_state.get(f"{key}.flash")
    if flash is not None:  # shown for a while: the reruns that follow a removal would hide it at once
        if time.monotonic() - flash[1] < FLASH_SECONDS:
            st.success(safe.checked(flash[0]), icon=":material/check:")
        else:
            st.session_state.pop(f"{key}.flash", None)
    if not library.path.exists():
        st.info(
            safe.fmt("{} is empty. Add the current clip or a folder below.", library.label),
            icon=":material/video_library:",
        )
        return
    with guard("Reading the library"), Library(library.path) as lib:
        stats = lib.stats()
        c = st.columns(4)
        c[0].metric("References", f"{stats.references:d}")
        c[1].metric("Stored hashes", f"{sum(stats.hashes.values()):,}")
        c[2].metric("File size", fmt_size(stats.size_bytes))
        c[3].metric("Schema", safe.md(stats.schema, 40))
        query = st.text_input(
            "Search titles, sources, tags, notes, file names",
            key=f"{key}.search",
            icon=":material/search:",
            placeholder="e.g. airfield, 2019, example.org",
        )
        refs = lib.references(query.strip() or None)
    if not refs:
        st.caption("No reference matches." if query else "The library holds no references yet.")
        return
    st.dataframe(
        _rows(refs),
        hide_index=True,
        width="stretch",
        column_config={"id": st.column_config.NumberColumn("#", width="small")},
    )
    by_id = {r.id: r for r in refs}
    chosen = st.selectbox(
        "Reference",
        options=list(by_id),
        format_func=lambda i: safe.text(f"#{i} · {by_id[i].display_title}", 90),
        key=f"{key}.chosen",
    )
    ref = by_id.get(chosen)
    if ref is None:
        return
    with st.container(border=True):
        prov = ref.provenance
        st.markdown(f"**#{ref.id:d} · {safe.md(ref.display_title, 160)}**")
        if prov.source_url:
            st.markdown(f"Source: {safe.link(prov.source_url)}")
        st.text(
            "\n".join(
                line
                for line in (
                    f"first seen   {safe.text(prov.first_seen, 40)}" if prov.first_seen else "",
                    f"found at     {safe.text(prov.found_at, 200)}" if prov.found_at else "",
                    f"source       {safe.text(prov.source_url, 300)}" if prov.source_url else "",
                    f"file         {safe.text(ref.path, 300)}",
                    f"sha256       {ref.sha256}",
                    f"duration     {timecode(ref.duration, millis=True)}  ·  {ref.width}×{ref.height}",
                    f"fingerprint  {ref.algorithm}, {ref.n_hashes:,} samples",
                    f"description  {safe.text(prov.description, 600)}" if prov.description else "",
                    f"notes        {safe.text(prov.notes, 600)}" if prov.notes else "",
                )
                if line
            )
        )
        confirm = st.checkbox(
            "I want to remove this reference from the library", key=f"{key}.confirm.{ref.id}"
        )
        st.button(
            "Remove from library",
            key=f"{key}.remove.{ref.id}",
            icon=":material/delete:",
            disabled=not confirm,
            on_click=_remove,
            args=(key, str(library.path), ref.id),
        )
