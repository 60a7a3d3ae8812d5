"""Where the ``ffmpeg`` binary comes from (for ffmpeg-python filter graphs).

Decoding never needs it (PyAV carries FFmpeg's libraries). Rendering previews and evidence videos uses
the command-line tool: ``ffmpeg`` on the PATH first, else the static binary inside the imageio-ffmpeg
wheel, so no system package is required.
"""

from __future__ import annotations

import functools
import shutil


@functools.cache
def ffmpeg_binary() -> str:
    """``ffmpeg`` on PATH, else the static binary shipped in the imageio-ffmpeg wheel."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()
