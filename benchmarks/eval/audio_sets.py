"""The audio evaluation sets: references cut from real recordings, edited copies and negatives.

``dev`` is the set thresholds may be tuned on; ``holdout`` uses other recordings and seeded-random
parameters and is never tuned on. Each set: references (in the library), distractors (in the
library, never queried), copies of each reference for every edit kind, two compilations and
negatives (same speaker other speech, same genre other music, silence, room tone, unrelated).
Times in the ground truth are seconds from the start of each file.
"""

from __future__ import annotations

import json
import random
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from .audio_sources import source
from .edits import Case, Segment
from .ffmpeg import ffmpeg_exe, run

RATE = 44100
REF_ENCODE = ["-ac", "2", "-ar", str(RATE), "-c:a", "aac", "-b:a", "128k"]
LOW_AAC = ["-ac", "1", "-ar", "16000", "-c:a", "aac", "-b:a", "24k"]
LOW_OPUS = ["-ac", "1", "-ar", "16000", "-c:a", "libopus", "-b:a", "24k"]

# name -> (source key, start, end); None end = to the end
SETS: dict[str, dict[str, Any]] = {
    "dev": {
        "refs": {
            "sp-allison-instruct": ("allison:demo-instruct", 0, 60),
            "sp-ve9qrp": ("codec2:ve9qrp", 0, 55),
            "sp-ami": ("ami:sample", 0, 15),
            "mu-1918": ("arcade:1918", 20, 80),
            "mu-coldday": ("moh:macroform-cold_day", 30, 90),
            "cv-chair": ("corpus:te-chair-orig-22-sd-bar.mp4", 0, None),
            "cv-chaplin": ("corpus:moviepy-chaplin.mp4", 0, None),
        },
        "distractors": {
            "mu-reno": ("moh:reno_project-system", 0, 60),
            "sp-vk5qi": ("codec2:vk5qi", 0, None),
            "sp-allison-adminmenu": ("allison:conf-adminmenu", 0, None),
        },
        "negatives": {
            "same-speaker--allison-congrats": ("allison:demo-congrats", 0, None),
            "same-speaker--ve9qrp-later": ("codec2:ve9qrp", 57, 112),
            "same-speaker--ami-later": ("ami:sample", 15, 30),
            "same-genre--macroform-robot": ("moh:macroform-robot_dity", 30, 90),
            "unrelated--pancake": ("corpus:decord-flipping-a-pancake.mkv", 0, None),
            "unrelated--cockatoo": ("corpus:imageio-cockatoo.mp4", 0, None),
        },
        "bed": ("house:house_lo", 0, None),
        "street": ("corpus:gopro-max-heromode.mp4", 0, None),
    },
    "holdout": {
        "refs": {
            "sp-allison-callee": ("allison:priv-callee-options", 0, None),
            "sp-david4": ("codec2:david4", 0, None),
            "sp-vk2tpm": ("codec2:vk2tpm_004", 0, None),
            "mu-funky": ("arcade:funkyrobot", 30, 90),
            "mu-simplicity": ("moh:macroform-the_simplicity", 40, 100),
            "cv-karma": ("corpus:gopro-karma.mp4", 0, None),
            "cv-bbb": ("corpus:pigallery2-video.mp4", 0, None),
        },
        "distractors": {
            "sp-codec2-all": ("codec2:all", 0, None),
            "mu-robot": ("moh:macroform-robot_dity", 0, 60),
            "sp-allison-vm-options": ("allison:vm-options", 0, None),
        },
        "negatives": {
            "same-speaker--allison-ivr": ("allison:basic-pbx-ivr-main", 0, None),
            "same-speaker--allison-echotest": ("allison:demo-echotest", 0, None),
            "same-speaker--ami": ("ami:sample", 0, 30),
            "same-genre--macroform-coldday": ("moh:macroform-cold_day", 100, 160),
            "same-genre--arcade-1918": ("arcade:1918", 100, 160),
            "unrelated--flashmob": ("corpus:hachoir-flashmob.mkv", 0, None),
            "unrelated--earth": ("corpus:photoprism-earth.mov", 0, None),
        },
        "bed": ("moh:manolo_camp-morning_coffee", 0, None),
        "street": ("corpus:gopro-max-heromode.mp4", 0, None),
    },
}

KINDS = (
    "aac24",
    "opus24",
    "music-bg",
    "street-noise",
    "phone-echo",
    "excerpt-3s",
    "speed-resample-slow",
    "speed-resample-fast",
    "speed-tempo-slow",
    "speed-tempo-fast",
)


def pcm(path: Path, rate: int = RATE, start: float = 0.0, end: float | None = None) -> np.ndarray:
    """Mono float32 samples of a file's sound (ffmpeg)."""
    args = [ffmpeg_exe(), "-v", "error", "-ss", str(start), "-i", str(path)]
    if end is not None:
        args += ["-t", str(end - start)]
    args += ["-vn", "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"]
    out = subprocess.run(args, capture_output=True, check=True).stdout
    return np.frombuffer(out, np.float32).copy()


def encode(samples: np.ndarray, out: Path, enc: list[str], rate: int = RATE) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".part" + out.suffix)
    args = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-y",
        "-f",
        "f32le",
        "-ar",
        str(rate),
        "-ac",
        "1",
        "-i",
        "-",
        *enc,
        str(tmp),
    ]
    subprocess.run(args, input=np.clip(samples, -1, 1).astype(np.float32).tobytes(), check=True)
    tmp.replace(out)
    return out


def rms(x: np.ndarray) -> float:
    """RMS over the louder half of 50 ms blocks (pauses do not count)."""
    n = len(x) // 2205 * 2205
    if n == 0:
        return float(np.sqrt(np.mean(x**2) + 1e-12))
    blocks = np.sqrt(np.mean(x[:n].reshape(-1, 2205) ** 2, axis=1))
    loud = np.sort(blocks)[len(blocks) // 2 :]
    return float(np.sqrt(np.mean(loud**2)) + 1e-9)


def mix(x: np.ndarray, noise: np.ndarray, snr_db: float, offset: int = 0) -> np.ndarray:
    reps = int(np.ceil((len(x) + offset) / max(1, len(noise)))) + 1
    n = np.tile(noise, reps)[offset : offset + len(x)]
    n = n * (rms(x) / rms(n)) / (10 ** (snr_db / 20))
    y = x + n
    return y / max(1.0, float(np.abs(y).max()) / 0.99)


def room_tone(seconds: float, rng: np.random.Generator, level_db: float) -> np.ndarray:
    """Room tone: brown-ish noise, a mains hum with harmonics, a slow air-conditioning swell."""
    n = int(seconds * RATE)
    white = rng.standard_normal(n)
    brown = np.cumsum(white)
    brown -= np.convolve(brown, np.ones(4410) / 4410, mode="same")
    t = np.arange(n) / RATE
    hum_f = rng.choice([50.0, 60.0])
    hum = sum(np.sin(2 * np.pi * hum_f * k * t) / k for k in (1, 2, 3))
    swell = 1 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.05, 0.2) * t)
    x = brown / (np.std(brown) + 1e-9) * swell + 0.3 * hum + 0.2 * white
    return (x / np.sqrt(np.mean(x**2)) * 10 ** (level_db / 20)).astype(np.float32)


def build_set(name: str, cache: Path, corpus: Path | None, seed: int) -> tuple[dict[str, Path], list[Case]]:
    """(references incl. distractors -> path, queries) of a set, built once into the cache."""
    spec = SETS[name]
    root = cache / name
    manifest = root / "cases.json"
    refs: dict[str, Path] = {}
    for ref_name, (key, a, b) in {**spec["refs"], **spec["distractors"]}.items():
        out = root / "refs" / f"{ref_name}.m4a"
        if not out.exists():
            encode(pcm(source(key, cache, corpus), start=a, end=b), out, REF_ENCODE)
        refs[ref_name] = out
    if manifest.exists():
        return refs, [
            Case(**{**c, "segments": tuple(Segment(**s) for s in c["segments"])})
            for c in json.loads(manifest.read_text())
        ]
    rng = random.Random(seed if name == "holdout" else 1)
    nrng = np.random.default_rng(seed if name == "holdout" else 1)
    bed_key, ba, bb = spec["bed"]
    bed = pcm(source(bed_key, cache, corpus), start=ba, end=bb)
    st_key, sa, sb = spec["street"]
    street = pcm(source(st_key, cache, corpus), start=sa, end=sb)
    cases: list[Case] = []
    qdir = root / "queries"
    for ref_name in spec["refs"]:
        x = pcm(refs[ref_name])
        dur = len(x) / RATE
        full = (Segment(ref_name, 0.0, dur, 0.0, dur),)
        dev = name == "dev"
        for kind in KINDS:
            q = qdir / f"{kind}--{ref_name}.m4a"
            params: dict[str, Any] = {}
            segs = full
            if kind == "aac24":
                encode(x, q, LOW_AAC)
            elif kind == "opus24":
                q = q.with_suffix(".ogg")
                encode(x, q, LOW_OPUS)
            elif kind == "music-bg":
                params["snr_db"] = 5.0 if dev else round(rng.uniform(0.0, 6.0), 1)
                encode(mix(x, bed, params["snr_db"], rng.randrange(RATE * 3)), q, LOW_AAC)
            elif kind == "street-noise":
                params["snr_db"] = 0.0 if dev else round(rng.uniform(-3.0, 3.0), 1)
                encode(mix(x, street, params["snr_db"], rng.randrange(RATE * 5)), q, LOW_AAC)
            elif kind == "phone-echo":
                params["delays_ms"] = [23, 47, 71] if dev else sorted(rng.sample(range(15, 90), 3))
                d = "|".join(str(v) for v in params["delays_ms"])
                chain = f"highpass=f=300,lowpass=f=3400,aecho=0.8:0.7:{d}:0.4|0.3|0.2,volume=0.8"
                tmp = encode(x, root / "tmp" / f"{ref_name}.wav", ["-c:a", "pcm_f32le"])
                run(
                    ["-i", str(tmp), "-af", chain, "-ac", "1", "-ar", "8000", "-c:a", "aac", "-b:a", "24k"], q
                )
            elif kind == "excerpt-3s":
                start = round(dur * 0.4, 2) if dev else round(rng.uniform(0.1, 0.8) * (dur - 3), 2)
                params["start"] = start
                encode(x[int(start * RATE) : int(start * RATE) + 3 * RATE], q, LOW_AAC)
                segs = (Segment(ref_name, 0.0, 3.0, start, start + 3.0),)
            else:
                fast = kind.endswith("fast")
                if dev:
                    speed = 1.5 if fast else 0.75
                else:
                    speed = round(rng.uniform(1.1, 1.5) if fast else rng.uniform(0.75, 0.9), 3)
                params["speed"] = speed
                tmp = encode(x, root / "tmp" / f"{ref_name}.wav", ["-c:a", "pcm_f32le"])
                if "resample" in kind:
                    chain = f"asetrate={RATE}*{speed},aresample={RATE}"
                else:
                    chain = f"atempo={speed}"
                run(["-i", str(tmp), "-af", chain, *REF_ENCODE], q)
                segs = (Segment(ref_name, 0.0, dur / speed, 0.0, dur),)
            cases.append(Case(q.stem, kind, str(q), segs, params))
    # compilations: two excerpts of two references back to back
    names = list(spec["refs"])
    pairs = (
        [(names[0], names[3]), (names[4], names[1])]
        if name == "dev"
        else [(names[1], names[4]), (names[3], names[0])]
    )
    for a_name, b_name in pairs:
        xa, xb = pcm(refs[a_name]), pcm(refs[b_name])
        la, lb = min(10.0, len(xa) / RATE - 1), min(12.0, len(xb) / RATE - 1)
        sa, sb = round(rng.uniform(0, len(xa) / RATE - la), 2), round(rng.uniform(0, len(xb) / RATE - lb), 2)
        y = np.concatenate(
            [xa[int(sa * RATE) : int((sa + la) * RATE)], xb[int(sb * RATE) : int((sb + lb) * RATE)]]
        )
        q = qdir / f"compilation--{a_name}+{b_name}.m4a"
        encode(y, q, LOW_AAC)
        segs = (Segment(a_name, 0.0, la, sa, sa + la), Segment(b_name, la, la + lb, sb, sb + lb))
        cases.append(Case(q.stem, "compilation", str(q), segs, {"a": [sa, la], "b": [sb, lb]}))
    # negatives
    for neg, (key, a, b) in spec["negatives"].items():
        q = qdir / f"{neg}.m4a"
        encode(pcm(source(key, cache, corpus), start=a, end=b), q, LOW_AAC)
        cases.append(Case(q.stem, neg.split("--")[0], str(q)))
    q = qdir / "silence--digital.m4a"
    encode(np.zeros(20 * RATE, np.float32), q, LOW_AAC)
    cases.append(Case(q.stem, "silence", str(q)))
    q = qdir / "silence--dither.m4a"
    encode((nrng.standard_normal(20 * RATE) * 10 ** (-75 / 20)).astype(np.float32), q, LOW_AAC)
    cases.append(Case(q.stem, "silence", str(q)))
    for i, level in enumerate((-45.0, -25.0)):
        q = qdir / f"room-tone--{i}.m4a"
        encode(room_tone(25.0, nrng, level), q, LOW_AAC)
        cases.append(Case(q.stem, "room-tone", str(q), params={"level_db": level}))
    manifest.write_text(json.dumps([asdict(c) for c in cases], indent=1))
    return refs, cases
