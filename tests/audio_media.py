"""Generated sound for the audio tests: numpy signals written with PyAV (no files shipped).

``speechlike`` makes a voice-like signal: syllables of a harmonic source whose pitch glides in a
speaker's range, shaped by two formants, with pauses between words; the same ``voice`` with
another ``seed`` says something else in the same voice. ``write_audio`` encodes samples to a
file, ``write_clip`` to a video with that sound, ``tempo`` changes speed with the pitch kept
(FFmpeg's ``atempo`` through a PyAV filter graph) and ``resample`` with the pitch shifted.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from scipy.signal import resample_poly

RATE = 16000


def debian_prompt(name: str) -> Path:
    """A prompt of Debian's asterisk-core-sounds-en-wav (CC BY-SA 3.0): ``sounds/en`` is an
    alternatives link the package does not always make, so its own folder is looked at too."""
    for folder in ("en", "en_US_f_Allison"):
        path = Path("/usr/share/asterisk/sounds") / folder / name
        if path.exists():
            return path
    return Path("/usr/share/asterisk/sounds/en") / name


def speechlike(seconds: float, seed: int = 0, voice: int = 0, rate: int = RATE) -> np.ndarray:
    vrng = np.random.default_rng(1000 + voice)
    f0_lo = vrng.uniform(90, 180)
    formants = vrng.uniform([400, 1100], [800, 2200])
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n, np.float64)
    pos = int(rng.uniform(0.05, 0.2) * rate)
    while pos < n:
        syl = int(rng.uniform(0.12, 0.3) * rate)
        seg = min(syl, n - pos)
        t = np.arange(seg) / rate
        f0 = f0_lo * (1 + rng.uniform(0, 0.5)) * (1 + rng.uniform(-0.15, 0.15) * t / max(t[-1], 1e-3))
        phase = 2 * np.pi * np.cumsum(f0) / rate
        f1, f2 = formants * rng.uniform(0.8, 1.25, 2)
        sig = np.zeros(seg)
        for h in range(1, int(3400 / f0.max())):
            fh = h * f0.mean()
            gain = np.exp(-(((fh - f1) / 250) ** 2)) + 0.6 * np.exp(-(((fh - f2) / 350) ** 2)) + 0.03
            sig += gain * np.sin(h * phase)
        env = np.sin(np.pi * np.arange(seg) / syl) ** 0.6
        out[pos : pos + seg] += sig * env
        pos += syl + int(rng.choice([0.02, 0.05, 0.08, 0.4], p=[0.4, 0.3, 0.2, 0.1]) * rate)
    out /= np.abs(out).max() + 1e-9
    return (0.5 * out).astype(np.float32)


def chirps(seconds: float, seed: int = 0, rate: int = RATE) -> np.ndarray:
    """Short tone sweeps at random times and pitches (a music-like test signal)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n)
    for _ in range(int(seconds * 8)):
        start, dur = rng.integers(0, n), int(rng.uniform(0.05, 0.3) * rate)
        seg = min(dur, n - start)
        t = np.arange(seg) / rate
        f_a, f_b = rng.uniform(200, 3000, 2)
        out[start : start + seg] += np.sin(
            2 * np.pi * (f_a * t + (f_b - f_a) * t**2 / (2 * dur / rate))
        ) * np.hanning(seg)
    return (0.4 * out / (np.abs(out).max() + 1e-9)).astype(np.float32)


def noise(seconds: float, level_db: float = -30.0, seed: int = 0, rate: int = RATE) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(int(seconds * rate))
    return (x * 10 ** (level_db / 20)).astype(np.float32)


def resample(x: np.ndarray, speed: float) -> np.ndarray:
    """Played ``speed`` times faster, pitch shifted with it (a sped-up re-upload)."""
    frac = Fraction(speed).limit_denominator(200)
    return resample_poly(x, frac.denominator, frac.numerator).astype(np.float32)


def tempo(x: np.ndarray, speed: float, rate: int = RATE) -> np.ndarray:
    """Played ``speed`` times faster with the pitch kept (FFmpeg ``atempo``)."""
    graph = av.filter.Graph()
    src = graph.add_abuffer(format="flt", sample_rate=rate, layout="mono", time_base=Fraction(1, rate))
    node = graph.add("atempo", str(speed))
    sink = graph.add("abuffersink")
    src.link_to(node)
    node.link_to(sink)
    graph.configure()
    out = []
    for off in range(0, x.size, 4096):
        frame = av.AudioFrame.from_ndarray(
            x[None, off : off + 4096].astype(np.float32), format="flt", layout="mono"
        )
        frame.sample_rate = rate
        frame.pts = off
        frame.time_base = Fraction(1, rate)
        graph.push(frame)
        out += _pull(graph)
    graph.push(None)
    out += _pull(graph)
    return np.concatenate(out).astype(np.float32)


def _pull(graph: av.filter.Graph) -> list[np.ndarray]:
    got = []
    while True:
        try:
            f = graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return got
        got.append(f.to_ndarray().reshape(-1))


def write_audio(
    path: str | Path,
    samples: np.ndarray,
    rate: int = RATE,
    codec: str = "aac",
    channels: int = 1,
    bitrate: int | None = None,
) -> Path:
    """Encode mono samples (copied to every channel) into ``path`` with PyAV."""
    path = Path(path)
    layout = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}[channels]
    with av.open(str(path), "w") as out:
        st = out.add_stream(codec, rate=rate, layout=layout)
        if bitrate:
            st.bit_rate = bitrate
        fmt = st.codec_context.format.name
        frame_size = st.codec_context.frame_size or 1024
        data = np.repeat(samples.astype(np.float32)[None, :], channels, axis=0)
        for off in range(0, data.shape[1], frame_size):
            chunk = data[:, off : off + frame_size]
            if chunk.shape[1] < frame_size and codec != "pcm_s16le":
                chunk = np.pad(chunk, ((0, 0), (0, frame_size - chunk.shape[1])))
            frame = _frame(chunk, fmt, layout)
            frame.sample_rate = rate
            frame.pts = off
            out.mux(st.encode(frame))
        out.mux(st.encode(None))
    return path


def _frame(chunk: np.ndarray, fmt: str, layout: str) -> av.AudioFrame:
    if fmt in ("s16", "s16p"):
        arr = (np.clip(chunk, -1, 1) * 32767).astype(np.int16)
    else:
        arr = chunk.astype(np.float32)
    if not fmt.endswith("p"):
        arr = np.ascontiguousarray(arr.T).reshape(1, -1)
    return av.AudioFrame.from_ndarray(np.ascontiguousarray(arr), format=fmt, layout=layout)


def write_clip(
    path: str | Path,
    samples: np.ndarray | None,
    painter: object,
    *,
    seconds: float,
    fps: float = 10.0,
    width: int = 160,
    height: int = 120,
    rate: int = RATE,
    audio_start: float = 0.0,
) -> Path:
    """An H.264 + AAC clip: ``painter(i, t)`` pictures and mono ``samples`` (stereo AAC) whose stream
    starts ``audio_start`` seconds after the video's (a file whose sound starts late)."""
    path = Path(path)
    tb = Fraction(1, 90000)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.time_base = tb
        vs.codec_context.time_base = tb
        vs.options = {"preset": "ultrafast", "g": "10", "bf": "0"}
        aus = out.add_stream("aac", rate=rate, layout="stereo") if samples is not None else None
        for i in range(round(seconds * fps)):
            t = i / fps
            frame = av.VideoFrame.from_ndarray(painter(i, t), format="rgb24")  # type: ignore[operator]
            frame.pts = round(t / tb)
            frame.time_base = tb
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if aus is not None and samples is not None:
            size = aus.codec_context.frame_size or 1024
            data = np.repeat(samples.astype(np.float32)[None, :], 2, axis=0)
            first = round(audio_start * rate)
            for off in range(0, data.shape[1], size):
                chunk = data[:, off : off + size]
                if chunk.shape[1] < size:
                    chunk = np.pad(chunk, ((0, 0), (0, size - chunk.shape[1])))
                af = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="stereo")
                af.sample_rate = rate
                af.pts = first + off
                out.mux(aus.encode(af))
            out.mux(aus.encode(None))
    return path


def sound_alone(src: Path, dst: Path, rate: int = 16000, bit_rate: int = 32000) -> Path:
    """The sound of ``src`` alone, re-encoded as a mono AAC ``.m4a`` (a voice message: no picture)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="ipod") as out:
        stream = out.add_stream("aac", rate=rate, layout="mono", bit_rate=bit_rate)
        for frame in inp.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dst
