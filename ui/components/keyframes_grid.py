"""Keyframes in a grid with timestamps; click one to enlarge; download one or all (ZIP).

Owns ``st.session_state["<key>.*"]`` (which keyframe is enlarged).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import streamlit as st

from ..analysis import KeyframeView
from ..files import Loaded, safe_name
from ..fmt import timecode
from . import frame_viewer

COLUMNS = 4


def frame_name(loaded: Loaded, kf: KeyframeView, ext: str = "jpg") -> str:
    stem = safe_name(loaded.name).rsplit(".", 1)[0]
    return f"{stem}_{kf.time:09.3f}s_shot{kf.shot:02d}.{ext}"


def zip_of(loaded: Loaded, frames: Sequence[KeyframeView]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        index = ["time_s\tshot\tframe_index\tfile"]
        for kf in frames:
            name = frame_name(loaded, kf)
            zf.writestr(name, kf.jpeg)
            index.append(f"{kf.time:.3f}\t{kf.shot}\t{kf.index}\t{name}")
        zf.writestr("index.tsv", "\n".join(index) + f"\n# source sha256 {loaded.sha256}\n")
    return buf.getvalue()


def _enlarge(key: str, i: int) -> None:
    st.session_state[f"{key}.open"] = i


def show(key: str, loaded: Loaded, frames: Sequence[KeyframeView], still: bool) -> None:
    shots = len({kf.shot for kf in frames})
    top = st.columns([3, 1], vertical_alignment="center")
    top[0].markdown(
        f"**{len(frames)} keyframe{'s' if len(frames) != 1 else ''}** from {shots} shot{'s' if shots != 1 else ''}. "
        "Click **Enlarge** to zoom in, download a frame, or hand it to a reverse image search."
    )
    top[1].download_button(
        "Download all (ZIP)",
        data=zip_of(loaded, frames),
        file_name=f"{safe_name(loaded.name).rsplit('.', 1)[0]}_keyframes.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        key=f"{key}.zip",
        on_click="ignore",
        width="stretch",
    )
    for row in range(0, len(frames), COLUMNS):
        cols = st.columns(COLUMNS)
        for col, i in zip(cols, range(row, min(row + COLUMNS, len(frames)))):
            kf = frames[i]
            with col, st.container(border=True):
                st.image(kf.jpeg, width="stretch")
                st.caption(
                    f"**{kf.number}.** {timecode(kf.time, millis=True)} · shot {kf.shot} · frame {kf.index}"
                )
                st.button(
                    "Enlarge",
                    key=f"{key}.enlarge.{i}",
                    icon=":material/zoom_in:",
                    on_click=_enlarge,
                    args=(key, i),
                    width="stretch",
                )
    opened = st.session_state.get(f"{key}.open")
    if opened is not None and 0 <= opened < len(frames):
        frame_viewer.show(
            f"{key}.viewer", loaded, frames[opened], still, on_close=lambda: _enlarge(key, None)
        )
