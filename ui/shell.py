"""The frame around every page: page setup, sidebar (file, library, activity), shared context.

``app.py`` calls :func:`run`; pages call :func:`context` for the file under examination, the
active library and the probe result. No analysis logic here: it wires components together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from .components import activity, library_picker, loader
from .errors import guard
from .files import Loaded

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
</style>
"""


@dataclass(frozen=True)
class Context:
    loaded: Loaded | None
    library: library_picker.ActiveLibrary
    info: Any  # verify.probe.MediaInfo, or None
    error: str | None


def context() -> Context:
    return st.session_state["shell.context"]


def run() -> None:
    st.set_page_config(page_title="verify · workbench", page_icon=":material/verified:", layout="wide")
    st.html(CSS)
    nav = st.navigation(
        [st.Page(path, title=title, icon=icon, default=i == 0) for i, (path, title, icon) in enumerate(PAGES)]
    )
    with st.sidebar:
        st.markdown("### :material/verified: verify")
        st.caption("Offline media verification. Nothing leaves this machine unless you send it.")
        st.divider()
        loader.ensure_first_clip()
        loaded = loader.show()
        st.divider()
        library = library_picker.show()
        activity.show()
    info = None
    with guard("Reading the file"):
        info = activity.prepare(loaded, library)
    error = activity.probe_error(loaded.sha256) if loaded is not None else None
    st.session_state["shell.context"] = Context(loaded, library, info, error)
    nav.run()
