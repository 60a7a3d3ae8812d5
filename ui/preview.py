"""Browser playback: clips the browser cannot play get a small H.264 preview, made once per sha256.

The original file is never altered: the preview is a new file in the data folder
(``previews/<sha256>.mp4``), made with ffmpeg-python (binary: ``shutil.which("ffmpeg")``, else the
one imageio-ffmpeg ships). Big files get a preview too, because Streamlit serves a video from
memory.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

import ffmpeg

from verify.errors import VerifyError
from verify.ffmpeg_tool import ffmpeg_binary

log = logging.getLogger("verify")

#: Browsers (Chromium, Firefox, Safari) play these codecs in MP4/MOV or WebM.
PLAYABLE_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})
PLAYABLE_PIXFMT = frozenset({"yuv420p", "yuvj420p", ""})
PLAYABLE_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".webm"})
#: Above this size the original is not handed to the browser (Streamlit would read it into memory).
MAX_DIRECT_BYTES = 80 << 20
PREVIEW_SIDE = 854

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class PreviewError(VerifyError, ValueError):
    """The preview could not be made (the analysis itself is not affected)."""

    stage = "preview"
    default_hint = "The file can still be analysed; open it in a desktop player to watch it."


def browser_can_play(path: Path, codec: str | None, pix_fmt: str | None = None) -> bool:
    """True when the browser plays ``path`` as it is (by container suffix, codec and pixel format)."""
    if path.suffix.lower() not in PLAYABLE_SUFFIXES:
        return False
    if (codec or "").lower() not in PLAYABLE_CODECS:
        return False
    if (pix_fmt or "") not in PLAYABLE_PIXFMT:
        return False
    return path.stat().st_size <= MAX_DIRECT_BYTES


def mime_for(path: Path) -> str:
    return "video/webm" if path.suffix.lower() == ".webm" else "video/mp4"


def preview_path(sha256: str, out_dir: Path) -> Path:
    return out_dir / f"{sha256}.mp4"


def make_preview(src: Path, sha256: str, out_dir: Path) -> Path:
    """The H.264/AAC MP4 preview of ``src`` (at most 854 px on the long side), made once."""
    out = preview_path(sha256, out_dir)
    if out.exists() and out.stat().st_size > 0:
        return out
    with _locks_guard:
        lock = _locks.setdefault(sha256, threading.Lock())
    with lock:
        if out.exists() and out.stat().st_size > 0:
            return out
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".preview-", suffix=".mp4", dir=out_dir)
        os.close(fd)
        side = PREVIEW_SIDE
        inp = ffmpeg.input(str(src))
        video = inp["v:0"].filter(
            "scale",
            f"if(gt(iw,ih),min({side},iw),-2)",
            f"if(gt(iw,ih),-2,min({side},ih))",
        )
        video = video.filter("scale", "trunc(iw/2)*2", "trunc(ih/2)*2").filter("format", "yuv420p")
        stream = ffmpeg.output(
            video,
            inp["a:0?"],
            tmp,
            vcodec="libx264",
            preset="veryfast",
            crf=30,
            acodec="aac",
            audio_bitrate="96k",
            movflags="+faststart",
            map_metadata=-1,
        ).overwrite_output()
        try:
            stream.run(cmd=ffmpeg_binary(), quiet=True)
        except ffmpeg.Error as exc:
            os.unlink(tmp)
            # ffmpeg ends with "Conversion failed!": the line before says what was wrong with the file
            said = [
                line.strip()
                for line in (exc.stderr or b"").decode("utf-8", "replace").splitlines()
                if line.strip() and "conversion failed" not in line.lower()
            ]
            why = f" ({said[-1].rsplit(': ', 1)[-1]})" if said else ""
            raise PreviewError(f"could not make a browser preview{why}", path=src) from exc
        except OSError as exc:
            os.unlink(tmp)
            raise PreviewError(f"could not run ffmpeg ({exc})", path=src) from exc
        os.replace(tmp, out)
        log.info("preview of %s written to %s", src, out)
        return out
