"""Keyframes: one picture per shot (plus extras in long shots), to look at, zoom and search."""

import streamlit as st

from ui import analysis
from ui.components import activity, header, keyframes_grid
from ui.errors import guard
from ui.shell import context

ctx = context()
header.show(
    "Keyframes",
    ctx.loaded,
    icon=":material/photo_library:",
    blurb="Shot keyframes with their timestamps. Reverse image search is a hand-off: nothing leaves this machine "
    "unless you upload it yourself.",
)
if ctx.loaded is None:
    header.no_file()
elif ctx.error:
    st.error(ctx.error, icon=":material/error:")
elif ctx.info is not None:
    task = activity.keyframes_task(ctx.loaded)
    if task is None or task.active:
        st.progress(task.fraction if task else 0.0, text=f"{task.stage if task else 'Queued'}…")
        st.caption("This page fills in by itself when the keyframes are ready.")
    elif task.status == "failed":
        st.error(task.error, icon=":material/error:")
    else:
        with guard("The keyframe grid"):
            frames = analysis.keyframes_of(task)
            if frames is None:
                st.rerun()
            keyframes_grid.show("keyframes", ctx.loaded, frames, analysis.is_still(ctx.info))
