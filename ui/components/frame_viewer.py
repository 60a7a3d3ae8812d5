"""One keyframe, large, with a zoom; downloads; and the reverse-image-search hand-off.

The hand-off never sends anything: the analyst downloads the frame and opens the engine's upload
page themselves. Opening an engine is recorded in the case's custody log as a frame sent to that
engine (with the frame's sha256), because that is what the analyst is about to do.
Owns ``st.session_state["<key>.*"]``.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import streamlit as st
from PIL import Image

from verify.digest import sha256_bytes

from .. import analysis, cases
from ..analysis import KeyframeView
from ..config import paths
from ..errors import guard
from ..files import Loaded
from ..fmt import timecode

#: Upload pages of the engines fact-checkers use (the analyst uploads the frame there).
ENGINES = {
    "Google Lens": "https://lens.google.com/",
    "Yandex Images": "https://yandex.com/images/",
    "Bing Visual Search": "https://www.bing.com/visualsearch",
    "TinEye": "https://tineye.com/",
}


def zoomed(image: np.ndarray, factor: float, cx: float, cy: float) -> Image.Image:
    """The region around (cx, cy) (fractions of width/height) magnified ``factor`` times."""
    img = Image.fromarray(image)
    if factor <= 1.0:
        return img
    w, h = img.size
    cw, ch = max(8, int(w / factor)), max(8, int(h / factor))
    left = int(min(max(0, cx * w - cw / 2), w - cw))
    top = int(min(max(0, cy * h - ch / 2), h - ch))
    return img.crop((left, top, left + cw, top + ch)).resize((w, h), Image.Resampling.LANCZOS)


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def record_handoff(loaded: Loaded, kf: KeyframeView, engine: str, digest: str) -> None:
    detail = (
        f"frame at {timecode(kf.time, millis=True)} (PNG, sha256 {digest[:16]}…) of {loaded.name} "
        f"handed to {engine}: its upload page was opened for the analyst"
    )
    cases.log(
        paths().cases, loaded.sha256, "sent to reverse search engine", detail, name=loaded.name, digest=digest
    )
    st.session_state["frame_viewer.last_handoff"] = engine


def _body(key: str, loaded: Loaded, kf: KeyframeView, still: bool) -> None:
    with guard("Decoding the full-size frame"):
        cache_key = f"{key}.full.{loaded.sha256}.{kf.time:.4f}"
        if cache_key not in st.session_state:
            st.session_state[cache_key] = analysis.full_frame(loaded.path, kf.time, still)
        full: np.ndarray = st.session_state[cache_key]
        h, w = full.shape[:2]
        picture, side = st.columns([3, 2], gap="medium")
        with side:
            factor = st.slider("Zoom", 1.0, 8.0, 1.0, 0.5, key=f"{key}.zoom", format="%.1f×")
            cx = st.slider(
                "Horizontal centre", 0, 100, 50, key=f"{key}.cx", format="%d%%", disabled=factor <= 1
            )
            cy = st.slider(
                "Vertical centre", 0, 100, 50, key=f"{key}.cy", format="%d%%", disabled=factor <= 1
            )
            data = png(Image.fromarray(full))
            digest = sha256_bytes(data)
            stem = loaded.name.rsplit(".", 1)[0]
            st.download_button(
                "Download frame (PNG)",
                data=data,
                file_name=f"{stem}_{kf.time:09.3f}s.png",
                mime="image/png",
                icon=":material/download:",
                key=f"{key}.download",
                on_click="ignore",
                width="stretch",
            )
            st.markdown("**Reverse image search**")
            st.caption(
                "Nothing is sent from here. Download the frame, then open an engine and upload it there. "
                "Opening an engine is recorded in this file's custody log."
            )
            for engine, url in ENGINES.items():
                st.link_button(
                    engine,
                    url,
                    key=f"{key}.engine.{engine}",
                    on_click=record_handoff,
                    args=(loaded, kf, engine, digest),
                    icon=":material/open_in_new:",
                    width="stretch",
                )
        with picture:
            st.image(zoomed(full, factor, cx / 100, cy / 100), width=400 if h > w else "stretch")
            st.caption(f"{timecode(kf.time, millis=True)} · shot {kf.shot} · {w} × {h} px (full resolution)")
        last = st.session_state.get("frame_viewer.last_handoff")
        if last:
            st.caption(f"Recorded: frame handed to {last}.")


def show(key: str, loaded: Loaded, kf: KeyframeView, still: bool, on_close: Callable[[], None]) -> None:
    @st.dialog(f"Keyframe at {timecode(kf.time, millis=True)}", width="large", on_dismiss=on_close)
    def viewer() -> None:
        _body(key, loaded, kf, still)

    viewer()
