"""The clip in the page: played as is when the browser can, else from a small H.264 preview."""

from __future__ import annotations

from typing import Any

import streamlit as st

from .. import analysis
from ..config import paths
from ..errors import message
from ..files import Loaded
from ..preview import PLAYABLE_CODECS, browser_can_play, make_preview, mime_for, preview_path

#: Portrait clips are shown this wide (pixels) so the page does not turn into one tall video.
PORTRAIT_WIDTH = 340


def show(key: str, loaded: Loaded, info: Any) -> None:
    if analysis.is_still(info):
        with st.spinner("Preparing the picture…"):
            kfs = analysis.still_picture(loaded)
        st.image(kfs[0].jpeg, width="stretch")
        return
    video = getattr(info, "video", None)
    if video is None:
        st.info("No picture to show: this file has no video stream.", icon=":material/music_note:")
        return
    w, h = info.upright_size()
    width: int | str = PORTRAIT_WIDTH if (w and h and h > w) else "stretch"
    if browser_can_play(loaded.path, video.codec, video.pix_fmt):
        st.video(str(loaded.path), format=mime_for(loaded.path), width=width)
        return
    preview = preview_path(loaded.sha256, paths().previews)
    if not preview.is_file():
        # a preview decodes the whole clip again: made when the analyst asks, not on every open
        why = "is too big to hand to the browser" if video.codec in PLAYABLE_CODECS else (
            f"is {video.codec}, which browsers cannot play")  # fmt: skip
        st.info(f"This clip {why}. The analysis does not need it played.", icon=":material/videocam_off:")
        if not st.button(
            "Make a small playable preview", key=f"{key}.preview", icon=":material/play_circle:"
        ):
            return
        try:
            with st.spinner("Making a browser preview (decodes the clip once more)…"):
                preview = make_preview(loaded.path, loaded.sha256, paths().previews)
        except Exception as exc:  # noqa: BLE001 - a preview failure must not hide the analysis
            st.warning(message(exc, "The browser preview"), icon=":material/videocam_off:")
            return
    st.video(str(preview), format="video/mp4", width=width)
    st.caption(
        f"Playing a small H.264 preview: the browser cannot play {video.codec} in this container. "
        "The analysis uses the original, which is never changed."
    )
