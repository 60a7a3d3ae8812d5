"""Matches: has this footage been seen before? Which part of the clip is which known clip."""

import streamlit as st

from ui import analysis, safe
from ui.components import activity, header, match_summary
from ui.errors import MESSAGE_LIMIT, guard, readable
from ui.shell import context

ctx = context()
header.show(
    "Matches",
    ctx.loaded,
    icon=":material/compare:",
    blurb=safe.fmt(
        "Time-aligned matching against {}: every segment of this clip that follows a known clip.",
        ctx.library.label,
    ),
)
if ctx.loaded is None:
    header.no_file()
elif ctx.error:
    st.error(safe.md(ctx.error, MESSAGE_LIMIT), icon=":material/error:")
elif ctx.info is not None:
    task = activity.match_task(ctx.loaded, ctx.library)
    why = analysis.failure(ctx.loaded.sha256)  # its pictures could not be decoded: nothing to match
    if why is not None and (task is None or task.status != "failed"):
        st.error(safe.md(readable(why, ctx.loaded), MESSAGE_LIMIT), icon=":material/error:")
    elif task is None:
        st.info(
            safe.fmt(
                "{} is empty, so there is nothing to match against. Add known footage on the "
                "Library page, or switch to the sample library in the sidebar.",
                ctx.library.label,
            ),
            icon=":material/video_library:",
        )
    elif task.active:
        st.progress(task.fraction, text=f"{safe.md(task.stage)}…")
        st.caption("This page fills in by itself when matching is done; the other pages stay usable.")
    elif task.status == "failed":
        st.error(safe.md(readable(task.error or "", ctx.loaded), MESSAGE_LIMIT), icon=":material/error:")
    else:
        with guard("The match view"):
            view = analysis.match_view(task)
            if view is None:
                st.rerun()
            match_summary.show("matches", ctx.loaded, ctx.library, view)
