"""One line on the Overview answering "has this been seen before?", linking to the Matches page."""

from __future__ import annotations

import streamlit as st

from verify.errors import VerifyError

from .. import analysis
from ..files import Loaded
from . import activity
from .library_picker import ActiveLibrary


def show(key: str, loaded: Loaded, library: ActiveLibrary) -> None:
    task = activity.match_task(loaded, library)
    if task is None:
        st.info(f"{library.label} is empty: nothing to match against yet.", icon=":material/video_library:")
        return
    if task.active:
        st.info(f"Checking {library.label} for this footage… ({task.stage})", icon=":material/hourglass_top:")
        return
    if task.status == "failed":
        st.error(task.error or "Matching failed.", icon=":material/error:")
        return
    try:
        view = analysis.match_view(task)
    except VerifyError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if view is None:
        st.info(f"Checking {library.label} for this footage…", icon=":material/hourglass_top:")
        return
    n = len(view.result.matches)
    if n:
        refs = {m.reference.id for m in view.result.matches}
        st.warning(
            f"**Seen before:** {n} segment{'s' if n != 1 else ''} of this clip match{'es' if n == 1 else ''} "
            f"{len(refs)} known clip{'s' if len(refs) != 1 else ''} in {library.label}.",
            icon=":material/history:",
        )
    else:
        st.success(
            f"No match in {library.label} ({view.library_references} references).",
            icon=":material/search_off:",
        )
    st.page_link("ui/pages/matches.py", label="Open the matches", icon=":material/compare:")
