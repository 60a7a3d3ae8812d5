"""Add known footage: the clip under examination (with its provenance), or a whole folder.

Owns ``st.session_state["<key>.*"]``. Fingerprinting and storing are ``verify.library``'s
(``Library.add`` and ``ingest``); this component collects the provenance and shows progress.
A folder is read only where ``ui.access`` allows (off when the server is reachable from other
machines and no allow-list is set); names and messages are shown as text (``ui.safe``).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import streamlit as st

from verify.library import Library, Provenance, ingest
from verify.text import plural

from .. import access, safe
from ..errors import MESSAGE_LIMIT, guard
from ..files import Loaded
from .library_picker import ActiveLibrary


def _tags(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


#: How long the confirmation of an add stays up (the reruns that follow it would hide it at once).
FLASH_SECONDS = 10.0


def _flash(key: str) -> None:
    flash = st.session_state.get(f"{key}.flash")
    if flash is None:
        return
    if time.monotonic() - flash[2] >= FLASH_SECONDS:
        st.session_state.pop(f"{key}.flash", None)
        return
    st.success(safe.checked(flash[0]), icon=":material/check:")
    if flash[1]:
        st.caption(safe.checked(flash[1]))


def show_add_current(key: str, loaded: Loaded | None, library: ActiveLibrary) -> None:
    _flash(key)
    if loaded is None:
        st.caption("Open a file first to add it.")
        return
    with st.form(f"{key}.form", clear_on_submit=False):
        st.markdown(safe.fmt("Add **{}** to {} as known footage.", safe.md(loaded.name, 80), library.label))
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
    bar = st.progress(0.0, text=f"Fingerprinting {safe.md(loaded.name, 120)}…")
    with guard("Adding to the library"), Library(library.path) as lib:
        result = lib.add(
            loaded.path,
            prov,
            progress=lambda d, t: bar.progress(min(1.0, d / t) if t else 0.0, text="Fingerprinting…"),
        )
        bar.empty()
        if result.status == "added":
            # the library list and the sidebar were drawn before the add: draw the page again, so
            # nothing on it still says the library is empty; the confirmation is shown then
            note = (
                "The source is not an http(s) URL: it is kept as text and is never shown as a link."
                if prov.source_url and not safe.is_web_url(prov.source_url)
                else ""
            )
            st.session_state[f"{key}.flash"] = (
                safe.Md(f"Added as reference #{result.reference.id:d}."),
                safe.Md(note),
                time.monotonic(),
            )
            st.rerun()
        elif result.status == "exists":
            st.info(safe.md(result.message, MESSAGE_LIMIT), icon=":material/info:")
        else:
            st.error(safe.md(result.message, MESSAGE_LIMIT), icon=":material/error:")


def _folder(raw: str, rules: access.Access) -> Path | None:
    """The folder to add, or None after showing why not (outside the allow-list: one message for all)."""
    if not raw:
        st.error("No folder given. Paste the full path of a folder on this machine.")
        return None
    try:
        p = access.resolve(raw, rules)
    except access.PathNotAllowedError as exc:
        st.error(safe.md(str(exc), MESSAGE_LIMIT), icon=":material/lock:")
        return None
    if not p.is_dir():
        st.error(safe.fmt("{}: not a folder on this machine. Paste the full path.", safe.md(raw, 200)))
        return None
    return p


def show_add_folder(key: str, library: ActiveLibrary) -> None:
    rules = access.current()
    if not rules.paths_enabled:
        st.warning(safe.md(rules.describe(), 600), icon=":material/lock:")
    elif rules.allowed:
        st.caption(safe.md(rules.describe(), 600))
    with st.form(f"{key}.form"):
        folder = st.text_input(
            "Folder on this machine",
            key=f"{key}.folder",
            placeholder="/path/to/known/footage",
            disabled=not rules.paths_enabled,
        )
        c = st.columns(2)
        found = c[0].text_input("Found at (for every file)", key=f"{key}.found")
        tags = c[1].text_input("Tags (for every file)", key=f"{key}.tags")
        submitted = st.form_submit_button(
            "Add folder", icon=":material/create_new_folder:", disabled=not rules.paths_enabled
        )
    if not submitted:
        _outcome(key)
        return
    st.session_state.pop(f"{key}.outcome", None)
    p = _folder(folder.strip(), rules)
    if p is None:
        return
    # with an allow-list, only the files that resolve inside it (a symlink out is skipped)
    targets: list[Path] = list(access.media_in(p, rules)) if rules.allowed else [p]
    bar = st.progress(0.0, text="Looking for media files…")
    rows = []

    def tick(done: float, total: float) -> None:
        bar.progress(
            min(1.0, done / total) if total else 0.0, text=f"Fingerprinting {done:.0f} of {total:.0f} files…"
        )

    with guard("Adding the folder"), Library(library.path) as lib:
        for r in ingest(targets, lib, Provenance(found_at=found.strip(), tags=_tags(tags)), progress=tick):
            rows.append(
                {
                    "file": safe.text(Path(r.path).name, 120),
                    "result": r.status,
                    "reference": f"#{r.reference.id}" if r.reference else "",
                    "message": safe.text(r.message, 300),
                }
            )
    bar.empty()
    added = sum(r["result"] == "added" for r in rows)
    failed = sum(r["result"] == "failed" for r in rows)
    st.session_state[f"{key}.outcome"] = (len(rows), added, failed, rows, time.monotonic())
    if added:
        st.rerun()  # the library list and the sidebar were drawn before the add: draw them again
    _outcome(key)


def _outcome(key: str) -> None:
    outcome = st.session_state.get(f"{key}.outcome")
    if outcome is None:
        return
    n, added, failed, rows, when = outcome
    if time.monotonic() - when >= FLASH_SECONDS:
        st.session_state.pop(f"{key}.outcome", None)
        return
    (st.warning if failed else st.success)(
        safe.fmt(
            "{}: {} added, {} already there, {} failed.",
            plural(int(n), "file"),
            int(added),
            int(n - added - failed),
            int(failed),
        ),
    )
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
