"""Generated test media: numpy pictures encoded with PyAV (a few KB, milliseconds).

Every test that needs a clip makes it here instead of shipping one. Pictures are
RGB ``uint8`` arrays (the frame format of ``verify.frames``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

Painter = Callable[[int, float], np.ndarray]


def textured(width: int = 160, height: int = 120, seed: int = 0) -> Painter:
    """A moving, textured scene: smooth blobs drifting plus fine noise, never flat.

    Different seeds give unrelated scenes; the same seed gives the same pictures.
    """
    rng = np.random.default_rng(seed)
    big_h, big_w = height * 3, width * 3
    base = rng.random((big_h // 8 + 1, big_w // 8 + 1, 3))
    base = np.kron(base, np.ones((8, 8, 1)))[:big_h, :big_w]
    yy, xx = np.mgrid[0:big_h, 0:big_w]
    blobs = np.zeros((big_h, big_w, 3))
    for _ in range(6):
        cy, cx, r = rng.random() * big_h, rng.random() * big_w, 20 + rng.random() * 60
        col = rng.random(3)
        blobs += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[..., None] * col
    canvas = np.clip(0.55 * base + 0.6 * blobs, 0, 1)
    canvas = (canvas * 255).astype(np.uint8)

    def paint(i: int, t: float) -> np.ndarray:
        # pan across the big canvas: each frame shows a different window
        oy = int((np.sin(t * 0.9) * 0.5 + 0.5) * (big_h - height))
        ox = int((t * 37.0) % (big_w - width))
        return np.ascontiguousarray(canvas[oy : oy + height, ox : ox + width])

    return paint


def shots(
    width: int = 160, height: int = 120, cut_every: float = 1.0, seeds: Sequence[int] = (1, 2, 3)
) -> Painter:
    """Hard cuts between unrelated textured scenes every ``cut_every`` seconds."""
    painters = [textured(width, height, s) for s in seeds]

    def paint(i: int, t: float) -> np.ndarray:
        return painters[int(t // cut_every) % len(painters)](i, t)

    return paint


def make_video(
    path: str | Path,
    *,
    seconds: float = 2.0,
    fps: float = 25.0,
    width: int = 160,
    height: int = 120,
    painter: Painter | None = None,
    codec: str = "libx264",
    times: Sequence[float] | None = None,
    start: float = 0.0,
    rotation: int | None = None,
    metadata: dict[str, str] | None = None,
    stream_metadata: dict[str, str] | None = None,
    audio: bool = False,
    gop: int = 12,
) -> Path:
    """Encode a clip and return its path.

    ``times`` gives explicit presentation times (variable frame rate); otherwise
    frames are evenly spaced at ``fps``. ``start`` shifts every timestamp (a
    stream that starts at a non-zero time). ``rotation`` writes a display matrix
    (degrees counter-clockwise, as FFmpeg reports it).
    """
    path = Path(path)
    painter = painter or textured(width, height)
    if times is None:
        n = max(1, round(seconds * fps))
        times = [i / fps for i in range(n)]
    tb = Fraction(1, 90000)
    with av.open(str(path), "w") as out:
        if metadata:
            for k, v in metadata.items():
                out.metadata[k] = v
        rate = Fraction(fps).limit_denominator(1001)
        vs = out.add_stream(codec, rate=rate)
        vs.width, vs.height = width, height
        vs.pix_fmt = "yuv420p"
        vs.time_base = tb
        vs.codec_context.time_base = tb
        if codec == "libx264":
            vs.options = {"preset": "ultrafast", "g": str(gop), "bf": "0"}
        if stream_metadata:
            for k, v in stream_metadata.items():
                vs.metadata[k] = v
        if rotation:
            vs.set_display_rotation(rotation)
        aus = out.add_stream("aac", rate=44100) if audio else None
        for i, t in enumerate(times):
            frame = av.VideoFrame.from_ndarray(painter(i, t), format="rgb24")
            frame.pts = round((t + start) / tb)
            frame.time_base = tb
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if aus is not None:
            total = int((times[-1] + 1.0 / fps) * 44100)
            samples = (np.sin(np.arange(total) / 44100 * 2 * np.pi * 440) * 0.2).astype(np.float32)
            for off in range(0, total, 1024):
                chunk = samples[off : off + 1024]
                if len(chunk) < 1024:
                    chunk = np.pad(chunk, (0, 1024 - len(chunk)))
                af = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
                af.sample_rate = 44100
                af.pts = off
                out.mux(aus.encode(af))
            out.mux(aus.encode(None))
    return path


def make_audio_only(path: str | Path, seconds: float = 1.0) -> Path:
    path = Path(path)
    with av.open(str(path), "w") as out:
        aus = out.add_stream("aac", rate=44100)
        total = int(seconds * 44100)
        for off in range(0, total, 1024):
            af = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            af.sample_rate = 44100
            af.pts = off
            out.mux(aus.encode(af))
        out.mux(aus.encode(None))
    return path


def make_still(path: str | Path, width: int = 160, height: int = 120, seed: int = 0) -> Path:
    from PIL import Image

    path = Path(path)
    Image.fromarray(textured(width, height, seed)(0, 0.0)).save(path)
    return path
