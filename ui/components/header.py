"""The heading every page starts with: page title, the file under examination, its sha256."""

from __future__ import annotations

import streamlit as st

from ..files import Loaded
from ..fmt import md_escape, shown


def show(title: str, loaded: Loaded | None, *, icon: str = "", blurb: str = "") -> None:
    st.header(f"{icon} {title}".strip(), anchor=False, divider="gray")
    if loaded is not None:
        st.caption(f"{md_escape(shown(loaded.name, 120))} · sha256 `{loaded.sha256}`")
    if blurb:
        st.caption(blurb)


def no_file() -> None:
    st.info(
        "No file open. Upload a clip or still in the sidebar, open one by path, or pick a bundled sample.",
        icon=":material/upload_file:",
    )
