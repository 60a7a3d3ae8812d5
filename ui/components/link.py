"""The Link tab of the loader: a URL, one line on what fetching contacts, a button.

``ui.links.start_fetch`` downloads in the background worker (yt-dlp, through ``verify.intake``);
this component shows its progress, then opens the file like an upload (``open_file``, given by
the loader) and puts the download's custody entries first in the case. Errors are the one-line
``LinkError`` messages, shown as text. Owns ``st.session_state["<key>.*"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from .. import jobs, links, safe
from ..errors import MESSAGE_LIMIT


@st.fragment(run_every=1.0)
def _progress(key: str, task_key: str) -> None:
    task = jobs.runner().get(task_key)
    if task is None or not task.active:
        st.rerun(scope="app")
        return
    st.progress(task.fraction, text=f"{safe.md(task.stage)}…")


def show(key: str, open_file: Callable[[Path], Any]) -> None:
    st.caption("Fetching contacts that site (only that one).")  # the one line, before anything is fetched
    with st.form(f"{key}.form", border=False):
        url = st.text_input(
            "A link to a post or a video",
            key=f"{key}.url",
            placeholder="https://…",
            help="Downloaded with yt-dlp into the data folder, with what the site says about it.",
        )
        if st.form_submit_button("Fetch", icon=":material/download:") and url.strip():
            task = links.start_fetch(url)
            st.session_state[f"{key}.task"] = task.key
            st.session_state[f"{key}.opened"] = None
    task_key = st.session_state.get(f"{key}.task")
    task = jobs.runner().get(task_key) if task_key else None
    if task is None:
        return
    if task.active:
        _progress(key, task.key)
    elif task.status == "failed":
        st.error(safe.md(task.error, MESSAGE_LIMIT), icon=":material/link_off:")
    elif st.session_state.get(f"{key}.opened") != task.key:
        st.session_state[f"{key}.opened"] = task.key
        fetched = task.result
        loaded = open_file(fetched.path)
        if loaded is not None:
            links.import_custody(loaded.sha256, fetched.path, loaded.name)
        st.rerun()
