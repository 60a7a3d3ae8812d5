"""The heading every page starts with: page title, the file under examination, its sha256."""

from __future__ import annotations

import streamlit as st

from .. import safe
from ..files import Loaded
from ..safe import Markdown


def show(title: Markdown, loaded: Loaded | None, *, icon: Markdown = "", blurb: Markdown = "") -> None:
    """``title``, ``icon`` and ``blurb`` are Markdown of ours (literals or built with ``ui.safe``)."""
    st.header(f"{icon} {title}" if icon else title, anchor=False, divider="gray")
    if loaded is not None:
        st.caption(safe.fmt("{} · sha256 {}", safe.md(loaded.name, 120), safe.code(loaded.sha256)))
    if blurb:
        st.caption(blurb)


def no_file() -> None:
    st.info(
        "No file open. Upload a clip or still in the sidebar, open one by path, or pick a bundled sample.",
        icon=":material/upload_file:",
    )
