"""The frame around every page: page setup, sidebar (file, library, activity), shared context.

``app.py`` calls :func:`run`; pages call :func:`context` for the file under examination, the
active library and the probe result. No analysis logic here: it wires components together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from . import access, safe
from .components import activity, library_picker, loader, notes_form
from .config import APP_ROOT
from .errors import guard
from .files import Loaded

ASSETS = APP_ROOT / "ui" / "assets"

PAGES = (
    ("ui/pages/overview.py", "Overview", ":material/dashboard:"),
    ("ui/pages/metadata.py", "Metadata", ":material/table_rows:"),
    ("ui/pages/keyframes.py", "Keyframes", ":material/photo_library:"),
    ("ui/pages/matches.py", "Matches", ":material/compare:"),
    ("ui/pages/library.py", "Library", ":material/video_library:"),
    ("ui/pages/notes.py", "Notes", ":material/edit_note:"),
    ("ui/pages/export.py", "Export", ":material/ios_share:"),
)

CSS = """
<style>
[data-testid="stSidebarHeader"] { padding-bottom: 0; }
.block-container { padding-top: 2.2rem; max-width: 1400px; }
[data-testid="stCaptionContainer"] code { font-size: 0.78rem; }
h1, h2, h3 { letter-spacing: -0.01em; }
table.vf-facts { width: 100%; border-collapse: collapse; font-size: 0.92rem; }
table.vf-facts th { text-align: left; font-weight: 600; color: #4b5563; width: 38%; padding: 0.3rem 0.6rem 0.3rem 0;
  vertical-align: top; border-bottom: 1px solid #e5e7eb; }
table.vf-facts td { padding: 0.3rem 0; border-bottom: 1px solid #e5e7eb; word-break: break-word; }
</style>
"""

#: While the file under examination changes: the elements left from the previous file's page.
HIDE_STALE = '<style>[data-testid="stMain"] [data-stale="true"] { display: none !important; }</style>'
NO_RULE = "<style></style>"


@dataclass(frozen=True)
class Context:
    loaded: Loaded | None
    library: library_picker.ActiveLibrary
    info: Any  # verify.probe.MediaInfo, or None
    error: str | None


def context() -> Context:
    return st.session_state["shell.context"]


def run() -> None:
    # a local file: a ":material/...:" page icon makes the browser fetch it from a Google fonts host
    st.set_page_config(page_title="verify · workbench", page_icon=str(ASSETS / "icon.svg"), layout="wide")
    st.html(CSS)
    nav = st.navigation(
        [st.Page(path, title=title, icon=icon, default=i == 0) for i, (path, title, icon) in enumerate(PAGES)]
    )
    st.logo(str(ASSETS / "logo.svg"), size="large", icon_image=str(ASSETS / "icon.svg"))
    with st.sidebar:
        st.caption("Offline media verification. Nothing leaves this machine unless you send it.")
        rules = access.current()
        if not rules.loopback:
            st.warning(
                safe.fmt(
                    "This workbench listens on {}: anyone who can reach that address can use it (no login). "
                    "See the README, *Running it on another address*.",
                    rules.address or "every network interface",
                ),
                icon=":material/public:",
            )
        loader.ensure_first_clip()
        # Streamlit keeps the last run's elements on screen (greyed) until this run replaces
        # them: in the first run after the file under examination changed (every way of opening
        # one reruns the page), the previous file's page is hidden at once, so a page never
        # shows two files' data (the new name in the sidebar, the old video and tables beside it)
        now = loader.current()
        shown = now.sha256 if now is not None else ""
        switched = st.session_state.get("shell.shown", shown) != shown
        st.html(HIDE_STALE if switched else NO_RULE)
        loaded = loader.show()
        if loaded is not None and st.query_params.get("file") != loaded.sha256:
            st.query_params["file"] = loaded.sha256  # again after a page change (which clears it)
        notes_form.guard_unload(loaded)
        if notes_form.unsaved(loaded):
            st.warning(
                "**Unsaved notes** on this file: they are kept while you look around, but not saved "
                "with the case or in the export until you press *Save notes*.",
                icon=":material/edit_off:",
            )
            st.page_link("ui/pages/notes.py", label="Back to the notes", icon=":material/edit_note:")
        st.divider()
        library = library_picker.show()
        background = st.container()
    info = None
    slot = st.empty()
    with guard("Reading the file"):
        info = activity.prepare(loaded, library, slot)
    slot.empty()
    with background:
        activity.show(loaded)  # after prepare(): it polls the work prepare() has just queued
    error = activity.probe_error(loaded.sha256) if loaded is not None else None
    st.session_state["shell.context"] = Context(loaded, library, info, error)
    nav.run()
    st.session_state["shell.shown"] = shown  # drawn to the end: nothing of another file is left
