"""Add known footage: the clip under examination (with its provenance), or a whole folder.

Owns ``st.session_state["<key>.*"]``. Fingerprinting and storing are ``verify.library``'s
(``Library.add`` and ``ingest``); this component collects the provenance and shows progress.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from verify.library import Library, Provenance, ingest

from ..errors import guard
from ..files import Loaded
from ..fmt import shown
from .library_picker import ActiveLibrary


def _tags(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def show_add_current(key: str, loaded: Loaded | None, library: ActiveLibrary) -> None:
    if loaded is None:
        st.caption("Open a file first to add it.")
        return
    with st.form(f"{key}.form", clear_on_submit=False):
        st.markdown(f"Add **{shown(loaded.name, 80)}** to {library.label} as known footage.")
        title = st.text_input("Title", value=Path(loaded.name).stem, key=f"{key}.title")
        c = st.columns(2)
        source = c[0].text_input("Source URL", key=f"{key}.source", placeholder="https://…")
        first = c[1].date_input(
            "First seen online",
            value=None,
            key=f"{key}.first",
            min_value=dt.date(1990, 1, 1),
            format="YYYY-MM-DD",
        )
        found = c[0].text_input("Found at (platform, archive, agency)", key=f"{key}.found")
        tags = c[1].text_input("Tags (comma-separated)", key=f"{key}.tags")
        description = st.text_area("Description", key=f"{key}.description", height=80)
        notes = st.text_area("Notes", key=f"{key}.notes", height=68)
        submitted = st.form_submit_button("Add to library", icon=":material/library_add:", type="primary")
    if not submitted:
        return
    prov = Provenance(
        title=title.strip(),
        source_url=source.strip(),
        first_seen=_date(first),
        found_at=found.strip(),
        description=description.strip(),
        tags=_tags(tags),
        notes=notes.strip(),
    )
    bar = st.progress(0.0, text=f"Fingerprinting {loaded.name}…")
    with guard("Adding to the library"), Library(library.path) as lib:
        result = lib.add(
            loaded.path,
            prov,
            progress=lambda d, t: bar.progress(min(1.0, d / t) if t else 0.0, text="Fingerprinting…"),
        )
        bar.empty()
        if result.status == "added":
            st.success(f"Added as reference #{result.reference.id}.", icon=":material/check:")
        elif result.status == "exists":
            st.info(shown(result.message, 300), icon=":material/info:")
        else:
            st.error(shown(result.message, 300), icon=":material/error:")


def show_add_folder(key: str, library: ActiveLibrary) -> None:
    with st.form(f"{key}.form"):
        folder = st.text_input(
            "Folder on this machine", key=f"{key}.folder", placeholder="/path/to/known/footage"
        )
        c = st.columns(2)
        found = c[0].text_input("Found at (for every file)", key=f"{key}.found")
        tags = c[1].text_input("Tags (for every file)", key=f"{key}.tags")
        submitted = st.form_submit_button("Add folder", icon=":material/create_new_folder:")
    if not submitted:
        return
    p = Path(folder.strip()).expanduser()
    if not folder.strip() or not p.is_dir():
        st.error(
            f"{shown(folder, 200) or 'No folder given'}: not a folder on this machine. Paste the full path."
        )
        return
    bar = st.progress(0.0, text="Looking for media files…")
    rows = []

    def tick(done: float, total: float) -> None:
        bar.progress(
            min(1.0, done / total) if total else 0.0, text=f"Fingerprinting {done:.0f} of {total:.0f} files…"
        )

    with guard("Adding the folder"), Library(library.path) as lib:
        for r in ingest([p], lib, Provenance(found_at=found.strip(), tags=_tags(tags)), progress=tick):
            rows.append(
                {
                    "file": shown(Path(r.path).name, 120),
                    "result": r.status,
                    "reference": f"#{r.reference.id}" if r.reference else "",
                    "message": shown(r.message, 300),
                }
            )
    bar.empty()
    added = sum(r["result"] == "added" for r in rows)
    failed = sum(r["result"] == "failed" for r in rows)
    (st.warning if failed else st.success)(
        f"{len(rows)} file(s): {added} added, {len(rows) - added - failed} already there, {failed} failed.",
    )
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
