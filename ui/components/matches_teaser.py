"""One line on the Overview answering "has this been seen before?", linking to the Matches page."""

from __future__ import annotations

import streamlit as st

from verify.errors import VerifyError
from verify.text import plural

from .. import analysis, safe
from ..errors import MESSAGE_LIMIT, readable
from ..files import Loaded
from . import activity
from .library_picker import ActiveLibrary


def show(key: str, loaded: Loaded, library: ActiveLibrary) -> None:
    task = activity.match_task(loaded, library)
    why = analysis.failure(loaded.sha256)
    if why is not None and (task is None or task.status != "failed"):
        st.error(safe.md(readable(why, loaded), MESSAGE_LIMIT), icon=":material/error:")
        return
    if task is None:
        st.info(
            safe.fmt("{} is empty: nothing to match against yet.", library.label),
            icon=":material/video_library:",
        )
        return
    if task.active:
        st.info(
            safe.fmt("Checking {} for this footage… ({})", library.label, task.stage),
            icon=":material/hourglass_top:",
        )
        return
    if task.status == "failed":
        st.error(
            safe.md(readable(task.error or "Matching failed.", loaded), MESSAGE_LIMIT),
            icon=":material/error:",
        )
        return
    try:
        view = analysis.match_view(task)
    except VerifyError as exc:
        st.error(safe.md(readable(str(exc), loaded), MESSAGE_LIMIT), icon=":material/error:")
        return
    if view is None:
        st.info(safe.fmt("Checking {} for this footage…", library.label), icon=":material/hourglass_top:")
        return
    n = len(view.result.matches)
    if n:
        refs = {m.reference.id for m in view.result.matches}
        st.warning(
            f"**Seen before:** {n:d} segment{'s' if n != 1 else ''} of this clip match{'es' if n == 1 else ''} "
            f"{len(refs)} known clip{'s' if len(refs) != 1 else ''} in {safe.md(library.label)}.",
            icon=":material/history:",
        )
    else:
        st.success(
            safe.fmt(
                "No match in {} ({}).", library.label, plural(int(view.library_references), "reference")
            ),
            icon=":material/search_off:",
        )
    st.page_link("ui/pages/matches.py", label="Open the matches", icon=":material/compare:")
