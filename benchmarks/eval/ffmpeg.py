"""Small ffmpeg/ffprobe helpers for the evaluation sets (subprocess; no verify imports)."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-an"]
EVEN = "scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1"


@functools.cache
def ffmpeg_exe() -> str:
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.cache
def ffprobe_exe() -> str | None:
    return shutil.which("ffprobe")


@dataclass(frozen=True)
class Info:
    width: int
    height: int
    duration: float
    fps: float


@functools.cache
def probe(path: str) -> Info:
    """Upright size, duration and frame rate of the first video stream (ffprobe; PyAV fallback)."""
    exe = ffprobe_exe()
    if exe:
        out = subprocess.run(
            [
                exe,
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_streams",
                "-show_format",
                "-of",
                "json",
                path,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        data = json.loads(out)
        st = data["streams"][0]
        w, h = int(st["width"]), int(st["height"])
        rot = 0
        for sd in st.get("side_data_list", []):
            if "rotation" in sd:
                rot = int(sd["rotation"])
        rot = rot or int(st.get("tags", {}).get("rotate", 0))
        if abs(rot) % 180 == 90:
            w, h = h, w
        dur = float(st.get("duration") or data["format"].get("duration") or 0.0)
        num, _, den = st.get("avg_frame_rate", "0/1").partition("/")
        fps = float(num) / float(den) if float(den or 0) else 0.0
        return Info(w, h, dur, fps)
    import av

    with av.open(path) as c:
        s = c.streams.video[0]
        dur = float(c.duration or 0) / 1e6
        return Info(s.width, s.height, dur, float(s.average_rate or 0))


def run(args: list[str], out: Path) -> Path:
    """Run ffmpeg with ``args`` writing ``out`` (atomically: a temporary name, then rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".part" + out.suffix)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(tmp)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed for {out.name}: {res.stderr.strip()[-800:]}\n{' '.join(cmd)}")
    tmp.replace(out)
    return out
