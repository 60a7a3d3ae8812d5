"""Side-by-side evidence video: the query segment next to the reference segment it copies.

``render_evidence(query, reference, match, out)`` cuts the matched segment of
each clip, undoes the mirror when the match found one (the query is flipped
back), plays the reference at the matched speed so both run in step, scales
both to one height, labels each with its source and a running timestamp (in its
own clip's time), stacks them left (query) and right (reference) and encodes
H.264. The filter graph is built with ffmpeg-python; the binary is the system
``ffmpeg`` if there is one, else the one inside the ``imageio-ffmpeg`` wheel.
Labels use the Vera font shipped inside reportlab, so no system font is needed.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ffmpeg

from .errors import EvidenceError, VerifyError
from .ffmpeg_tool import ffmpeg_binary
from .frames import open_container, video_stream
from .text import safe_text

log = logging.getLogger("verify")

#: Longest evidence clip rendered, seconds (a debunk shows the copied moment, not the film).
MAX_SECONDS = 120.0


def font_file() -> str:
    """A TrueType font from an installed wheel (reportlab's Vera)."""
    import reportlab

    path = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    if not path.is_file():  # pragma: no cover - reportlab always ships it
        raise EvidenceError("reportlab's Vera.ttf font is missing", path=path, hint="Reinstall reportlab.")
    return str(path)


def _label(stream: Any, text_file: Path, stamp_offset: float, size: int) -> Any:
    font = font_file()
    box = {"box": 1, "boxcolor": "black@0.6", "boxborderw": max(2, size // 4), "fontcolor": "white"}
    stream = stream.drawtext(
        textfile=str(text_file), fontfile=font, fontsize=size, x=6, y=6, expansion="none", **box
    )
    stamp = f"%{{pts:hms:{stamp_offset:.3f}}}"
    return stream.drawtext(
        text=stamp, escape_text=False, fontfile=font, fontsize=size, x=6, y=f"h-th-{6 + size // 4}", **box
    )


def evidence_graph(
    query_path: str | Path,
    reference_path: str | Path,
    match: Any,
    out_path: str | Path,
    *,
    height: int = 360,
    fps: float = 25.0,
    labels: tuple[Path, Path],
    query_label: str = "",
) -> Any:
    """The ffmpeg-python output node (not run). ``labels`` are the two text files of the captions."""
    qs, qe = float(match.query_start), float(match.query_end)
    rs, re_ = float(match.reference_start), float(match.reference_end)
    speed = float(getattr(match, "speed", 1.0) or 1.0)
    qd = min(max(qe - qs, 0.04), MAX_SECONDS)
    rd = min(max(re_ - rs, 0.04), MAX_SECONDS * speed)
    size = max(10, height // 20)
    q_args = (str(query_path), f"{qs:.3f}", f"{qd:.3f}")
    r_args = (str(reference_path), f"{rs:.3f}", f"{rd:.3f}")
    q = ffmpeg.input(q_args[0], ss=q_args[1], t=q_args[2]).video
    if q_args == r_args:  # the query is the reference's own file: one input, split in two
        # (ffmpeg-python merges identical nodes, and a node feeding two chains needs a split)
        halves = q.split()
        q, r = halves[0], halves[1]
    else:
        r = ffmpeg.input(r_args[0], ss=r_args[1], t=r_args[2]).video
    if getattr(match, "mirrored", False):
        q = q.hflip()
    q = q.filter("scale", -2, height).filter("setsar", 1)
    q = _label(q, labels[0], qs, size).filter("setpts", "PTS-STARTPTS").filter("fps", fps)
    r = r.filter("scale", -2, height).filter("setsar", 1)
    # the timestamp is drawn before the speed change, so it shows the reference's own time
    r = _label(r, labels[1], rs, size).filter("setpts", f"(PTS-STARTPTS)/{speed:.6f}").filter("fps", fps)
    stacked = ffmpeg.filter([q, r], "hstack", inputs=2, shortest=1)
    return ffmpeg.output(
        stacked,
        str(out_path),
        vcodec="libx264",
        pix_fmt="yuv420p",
        preset="veryfast",
        crf=23,
        movflags="+faststart",
        an=None,
        t=f"{qd:.3f}",
    ).overwrite_output()


def render_evidence(
    query_path: str | Path,
    reference_path: str | Path,
    match: Any,
    out_path: str | Path,
    *,
    height: int = 360,
    fps: float = 25.0,
    query_label: str | None = None,
    reference_label: str | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> Path:
    """Render the side-by-side H.264 clip of ``match`` (a ``SegmentMatch``) to ``out_path``.

    ffmpeg writes a temporary file beside ``out_path`` that is renamed over it once complete:
    a link, device or FIFO at ``out_path`` is refused, never followed or opened, and a failed
    render leaves an earlier file there untouched.
    """
    from .export import paths

    query, ref, out = Path(query_path), Path(reference_path), paths.check_output(out_path)
    for p in (query, ref):
        if not p.is_file():
            raise EvidenceError("no such clip", path=p)
    if height < 32 or height % 2:
        raise EvidenceError(f"height must be an even number of pixels ≥ 32, not {height}")
    if not out.parent.is_dir():
        raise EvidenceError("the output folder does not exist", path=out.parent)
    reference = getattr(match, "reference", None)
    title = getattr(getattr(reference, "provenance", None), "title", "") or ref.name
    q_text = "QUERY  " + safe_text(query_label or query.name, limit=60)
    r_text = "REFERENCE  " + safe_text(reference_label or title, limit=60)
    if getattr(match, "mirrored", False):
        q_text += "  (mirror undone)"
    speed = float(getattr(match, "speed", 1.0) or 1.0)
    if abs(speed - 1.0) > 0.01:
        r_text += f"  (played at {speed:.2f}x)"
    size = max(10, height // 20)
    q_text = _wrap(q_text, _side_width(query, height), size)
    r_text = _wrap(r_text, _side_width(ref, height), size)
    duration = min(max(float(match.query_end) - float(match.query_start), 0.04), MAX_SECONDS)
    with tempfile.TemporaryDirectory(prefix="verify-evidence-") as tmp, paths.atomic(out) as part:
        labels = (Path(tmp) / "query.txt", Path(tmp) / "reference.txt")
        labels[0].write_text(q_text, encoding="utf-8")
        labels[1].write_text(r_text, encoding="utf-8")
        node = evidence_graph(query, ref, match, part, height=height, fps=fps, labels=labels)
        args = [
            ffmpeg_binary(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-progress",
            "pipe:1",
            "-nostats",
            *ffmpeg.get_args(node),
        ]
        log.debug("evidence: %s", " ".join(args))
        _run(args, duration, out, progress)
        if part.stat().st_size == 0:
            raise EvidenceError("ffmpeg wrote no video", path=out)
    return out


def _side_width(path: Path, height: int) -> int:
    """Width of one side after scaling to ``height`` (from the stored size; 4:3 when unknown)."""
    try:
        container = open_container(path)
    except VerifyError:
        return height * 4 // 3
    try:
        s = video_stream(container, path)
        w, h = s.codec_context.width, s.codec_context.height
    except VerifyError:
        return height * 4 // 3
    finally:
        container.close()
    return max(1, round(w * height / h)) if w and h else height * 4 // 3


def _wrap(text: str, width_px: int, size: int) -> str:
    """Break a caption into lines that fit ``width_px`` at font ``size`` (at most 3 lines)."""
    chars = max(8, int((width_px - 12) / (size * 0.62)))
    lines = textwrap.wrap(text, chars, break_long_words=True)[:3]
    return "\n".join(lines)


def _run(
    args: list[str], duration: float, out: Path, progress: Callable[[float, float], None] | None
) -> None:
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        raise EvidenceError(f"cannot run ffmpeg ({exc})", path=out) from exc
    with proc:  # closes both pipes and waits, whatever happens
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            if progress is not None and key == "out_time_us" and value.isdigit():
                progress(min(duration, int(value) / 1e6), duration)
        err = proc.stderr.read()
        code = proc.wait()
    if code != 0:
        tail = " ".join(err.strip().splitlines()[-3:])
        raise EvidenceError(f"ffmpeg failed ({safe_text(tail, limit=400)})", path=out)
    if progress is not None:
        progress(duration, duration)
