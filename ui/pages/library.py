"""Library: the known footage this clip is matched against."""

import streamlit as st

from ui import safe
from ui.components import header, library_add, library_browser, library_picker
from ui.shell import context

ctx = context()
header.show(
    "Library",
    None,
    icon=":material/video_library:",
    blurb=safe.fmt(
        "Known footage with its provenance. Active: {} ({}).", ctx.library.label, str(ctx.library.path)
    ),
)
if ctx.library.is_sample:
    st.caption(
        "The sample library is demo data: real footage under free licences with illustrative titles, sources and "
        "dates (see samples/README.md). Switch to My library in the sidebar for your own."
    )
browse, add_clip, add_folder = st.tabs(["Browse", "Add the current clip", "Add a folder"])
with browse:
    library_browser.show("library.browse", ctx.library)
    if ctx.library.is_sample and st.button("Rebuild the sample library", icon=":material/restart_alt:"):
        library_picker.ensure_sample(force=True)
        st.rerun()
with add_clip:
    library_add.show_add_current("library.add", ctx.loaded, ctx.library)
with add_folder:
    library_add.show_add_folder("library.folder", ctx.library)
