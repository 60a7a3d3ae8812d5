"""Matches: has this footage been seen before? Which part of the clip is which known clip."""

import streamlit as st

from ui import analysis
from ui.components import activity, header, match_summary
from ui.errors import guard
from ui.shell import context

ctx = context()
header.show(
    "Matches",
    ctx.loaded,
    icon=":material/compare:",
    blurb=f"Time-aligned matching against {ctx.library.label}: every segment of this clip that follows a known clip.",
)
if ctx.loaded is None:
    header.no_file()
elif ctx.error:
    st.error(ctx.error, icon=":material/error:")
elif ctx.info is not None:
    task = activity.match_task(ctx.loaded, ctx.library)
    if task is None:
        st.info(
            f"{ctx.library.label} is empty, so there is nothing to match against. Add known footage on the "
            "Library page, or switch to the sample library in the sidebar.",
            icon=":material/video_library:",
        )
    elif task.active:
        st.progress(task.fraction, text=f"{task.stage}…")
        st.caption("This page fills in by itself when matching is done; the other pages stay usable.")
    elif task.status == "failed":
        st.error(task.error, icon=":material/error:")
    else:
        with guard("The match view"):
            view = analysis.match_view(task)
            if view is None:
                st.rerun()
            match_summary.show("matches", ctx.loaded, ctx.library, view)
