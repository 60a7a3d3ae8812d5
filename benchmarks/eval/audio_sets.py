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

from .audio_sources import prompt_files, source
from .edits import Case, Segment
from .ffmpeg import ffmpeg_exe, run

RATE = 44100
REF_ENCODE = ["-ac", "2", "-ar", str(RATE), "-c:a", "aac", "-b:a", "128k"]
LOW_AAC = ["-ac", "1", "-ar", "16000", "-c:a", "aac", "-b:a", "24k"]
LOW_OPUS = ["-ac", "1", "-ar", "16000", "-c:a", "libopus", "-b:a", "24k"]

# Steady tones mixed into a recording (``tones``): a radio whistle (two or three slowly drifting
# sines), mains hum (a 50/60 Hz buzz with its harmonics) and a tone generator. ``db`` is the
# tone's level against the speech (RMS of the louder half), or ``dbfs`` when there is no speech.
WHISTLE_DEV = {"kind": "whistle", "freqs": [2150.0, 2870.0], "db": -8.0, "dbfs": -24.0}
HUM_DEV = {"kind": "hum", "f0": 50.0, "db": -6.0, "dbfs": -22.0}
TONE_DEV = {"kind": "tone", "freqs": [1000.0], "db": -10.0, "dbfs": -20.0}
WHISTLE_HOLD = {"kind": "whistle", "freqs": [1730.0, 2460.0, 3110.0], "db": -7.0, "dbfs": -22.0}
HUM_HOLD = {"kind": "hum", "f0": 60.0, "db": -5.0, "dbfs": -20.0}
TONE_HOLD = {"kind": "tone", "freqs": [800.0, 1600.0], "db": -9.0, "dbfs": -20.0}

# name -> (source key, start, end[, tones]); None end = to the end
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
        # round 2 (built after the items above, with their own random stream): recordings with steady
        # tones (a radio whistle, mains hum, a tone generator, mixed into the original recording) and
        # music beds down to 0 dB; the same tones under other speech and alone as negatives
        "extra_refs": {
            "sp-june-whistle": ("prompts:fr:0:24", 0, 45, WHISTLE_DEV),
            "sp-allison-es-hum": ("prompts:es:30:54", 0, 45, HUM_DEV),
            "sp-allison-tonegen": ("prompts:en:200:224", 0, 45, TONE_DEV),
        },
        "extra_kinds": ("music-bg-low",),
        "extra_negatives": {
            "same-speaker--june-whistle-other": ("prompts:fr:30:54", 0, 45, WHISTLE_DEV),
            "same-speaker--allison-es-hum-other": ("prompts:es:60:84", 0, 45, HUM_DEV),
            "tone--whistle-alone": ("none:20", 0, None, WHISTLE_DEV),
            "tone--hum-alone": ("none:20", 0, None, HUM_DEV),
        },
        "compilations": [("sp-june-whistle", "mu-1918")],
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
    # hold-out v2 (round 2): recordings, tones and seeds the tuning never read
    "holdout2": {
        "refs": {
            "sp-ivrru": ("prompts:ru:0:24", 0, 45),
            "sp-carlo-hum": ("prompts:it:0:24", 0, 45, HUM_HOLD),
            "sp-ivrru-whistle": ("prompts:ru:40:64", 0, 45, WHISTLE_HOLD),
            "mu-pingus-sorcerer": ("pingus:sorcerer", 0, 60),
            # the module's music ends at 22 s in FFmpeg's libopenmpt rendering (silence after): 20-80 s
            # was 2 s of music and 58 s of silence, and no copy of it could be "localised"
            "mu-pingus-2": ("pingus:pingus-2", 0, 21),
            "cv-breakdance": ("corpus:hachoir-breakdance.flv", 0, None),
            "cv-firstrun": ("corpus:hachoir-firstrun.rm", 0, None),
            "sp-june-tonegen": ("prompts:fr:60:84", 0, 45, TONE_HOLD),
        },
        "distractors": {
            "mu-pingus-4": ("pingus:pingus-4", 0, 60),
            "sp-ivrru-other": ("prompts:ru:100:124", 0, 45),
            "sp-june-other": ("prompts:fr:130:154", 0, 45),
        },
        "negatives": {
            "same-speaker--ivrru-later": ("prompts:ru:70:94", 0, 45),
            "same-speaker--ivrru-whistle-other": ("prompts:ru:130:154", 0, 45, WHISTLE_HOLD),
            "same-speaker--carlo-hum-other": ("prompts:it:40:64", 0, 45, HUM_HOLD),
            "same-genre--pingus-5": ("pingus:pingus-5", 0, 60),
            "same-genre--pingus-matth": ("pingus:gd-matth", 0, None),
            "unrelated--quicktime-m4a": ("corpus:exiftool-QuickTime.m4a", 0, None),
            "unrelated--friday": ("corpus:mdn-friday.mp4", 0, None),
            "tone--whistle-alone": ("none:20", 0, None, WHISTLE_HOLD),
            "tone--hum-alone": ("none:20", 0, None, HUM_HOLD),
        },
        "extra_kinds": ("music-bg-low",),
        "bed": ("pingus:goin_march", 0, None),
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


def tones(n: int, spec: dict[str, Any], seed: int) -> np.ndarray:
    """Unit-RMS steady tones of ``spec`` (see WHISTLE_DEV etc.), ``n`` samples at RATE."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    y = np.zeros(n)
    if spec["kind"] == "hum":
        f0 = spec["f0"]
        for k in range(1, int(3900 // f0) + 1):
            y += np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi)) / k**0.6
    else:
        for f in spec["freqs"]:
            drift = 0.0
            if spec["kind"] == "whistle":  # a heterodyne whistle wanders by a few Hz
                rate = rng.uniform(0.05, 0.15)
                drift = 0.002 * f / rate * np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi))
            y += np.sin(2 * np.pi * f * t + drift + rng.uniform(0, 2 * np.pi))
    return (y / np.sqrt(np.mean(y**2) + 1e-12)).astype(np.float32)


def recording(spec: tuple[Any, ...], cache: Path, corpus: Path | None) -> np.ndarray:
    """Mono samples of one recording spec ``(key, start, end[, tones])``."""
    key, a, b = spec[:3]
    if key.startswith("prompts:"):
        gap = np.zeros(int(0.3 * RATE), np.float32)
        x = np.concatenate([part for f in prompt_files(key) for part in (pcm(f), gap)])
        x = x[int(a * RATE) : None if b is None else int(b * RATE)]
    elif key.startswith("none:"):
        x = np.zeros(int(float(key.split(":")[1]) * RATE), np.float32)
    else:
        x = pcm(source(key, cache, corpus), start=a, end=b)
    if len(spec) > 3:
        t = spec[3]
        level = rms(x) * 10 ** (t["db"] / 20) if np.any(x) else 10 ** (t["dbfs"] / 20)
        x = x + level * tones(len(x), t, seed=len(x) % 9973)
        x = x + (np.random.default_rng(7).standard_normal(len(x)) * 10 ** (-70 / 20)).astype(np.float32)
        x = (x / max(1.0, float(np.abs(x).max()) / 0.99)).astype(np.float32)
    return x


def make_copy(
    kind: str, ref_name: str, x: np.ndarray, q: Path, root: Path, dev: bool, rng: random.Random, beds: Any
) -> tuple[Path, tuple[Segment, ...], dict[str, Any]]:
    """One edited copy of a reference: (path, ground truth, parameters)."""
    bed, street = beds
    dur = len(x) / RATE
    segs = (Segment(ref_name, 0.0, dur, 0.0, dur),)
    params: dict[str, Any] = {}
    if kind == "opus24":
        q = q.with_suffix(".ogg")
    # every random draw happens before the file is written, so an existing file can be kept
    if kind in ("music-bg", "music-bg-low", "street-noise"):
        if kind == "music-bg":
            params["snr_db"] = 5.0 if dev else round(rng.uniform(0.0, 6.0), 1)
        elif kind == "music-bg-low":
            params["snr_db"] = 0.0 if dev else round(rng.uniform(0.0, 2.0), 1)
        else:
            params["snr_db"] = 0.0 if dev else round(rng.uniform(-3.0, 3.0), 1)
        noise = street if kind == "street-noise" else bed
        offset = rng.randrange(RATE * (5 if kind == "street-noise" else 3))
        if not q.exists():
            encode(mix(x, noise, params["snr_db"], offset), q, LOW_AAC)
    elif kind in ("aac24", "opus24"):
        if not q.exists():
            encode(x, q, LOW_AAC if kind == "aac24" else LOW_OPUS)
    elif kind == "phone-echo":
        params["delays_ms"] = [23, 47, 71] if dev else sorted(rng.sample(range(15, 90), 3))
        d = "|".join(str(v) for v in params["delays_ms"])
        chain = f"highpass=f=300,lowpass=f=3400,aecho=0.8:0.7:{d}:0.4|0.3|0.2,volume=0.8"
        if not q.exists():
            tmp = encode(x, root / "tmp" / f"{ref_name}.wav", ["-c:a", "pcm_f32le"])
            run(["-i", str(tmp), "-af", chain, "-ac", "1", "-ar", "8000", "-c:a", "aac", "-b:a", "24k"], q)
    elif kind == "excerpt-3s":
        start = round(dur * 0.4, 2) if dev else round(rng.uniform(0.1, 0.8) * (dur - 3), 2)
        params["start"] = start
        if not q.exists():
            encode(x[int(start * RATE) : int(start * RATE) + 3 * RATE], q, LOW_AAC)
        segs = (Segment(ref_name, 0.0, 3.0, start, start + 3.0),)
    else:
        fast = kind.endswith("fast")
        if dev:
            speed = 1.5 if fast else 0.75
        else:
            speed = round(rng.uniform(1.1, 1.5) if fast else rng.uniform(0.75, 0.9), 3)
        params["speed"] = speed
        chain = f"asetrate={RATE}*{speed},aresample={RATE}" if "resample" in kind else f"atempo={speed}"
        if not q.exists():
            tmp = encode(x, root / "tmp" / f"{ref_name}.wav", ["-c:a", "pcm_f32le"])
            run(["-i", str(tmp), "-af", chain, *REF_ENCODE], q)
        segs = (Segment(ref_name, 0.0, dur / speed, 0.0, dur),)
    return q, segs, params


def compilation(a_name: str, b_name: str, refs: dict[str, Path], qdir: Path, rng: random.Random) -> Case:
    """Two excerpts of two references back to back."""
    xa, xb = pcm(refs[a_name]), pcm(refs[b_name])
    la, lb = min(10.0, len(xa) / RATE - 1), min(12.0, len(xb) / RATE - 1)
    sa, sb = round(rng.uniform(0, len(xa) / RATE - la), 2), round(rng.uniform(0, len(xb) / RATE - lb), 2)
    y = np.concatenate(
        [xa[int(sa * RATE) : int((sa + la) * RATE)], xb[int(sb * RATE) : int((sb + lb) * RATE)]]
    )
    q = qdir / f"compilation--{a_name}+{b_name}.m4a"
    encode(y, q, LOW_AAC)
    segs = (Segment(a_name, 0.0, la, sa, sa + la), Segment(b_name, la, la + lb, sb, sb + lb))
    return Case(q.stem, "compilation", str(q), segs, {"a": [sa, la], "b": [sb, lb]})


def check_sound(name: str, x: np.ndarray, max_silent: float = 0.5) -> None:
    """A reference must sound over most of its length: its ground truth says every second of a
    copy shows it. Raises when more than ``max_silent`` of its 1 s blocks are silent (< -60 dBFS):
    a meeting with pauses (dev's ``sp-ami``: 33 %) passes; a track that ends early does not (hold-out
    v2's first ``mu-pingus-2``: 97 %)."""
    n = len(x) // RATE
    if n == 0:
        raise ValueError(f"reference {name}: no sound at all")
    blocks = np.sqrt(np.mean(x[: n * RATE].reshape(n, RATE) ** 2, axis=1))
    silent = float(np.mean(blocks < 1e-3))
    if silent > max_silent:
        raise ValueError(f"reference {name}: {silent:.0%} of its seconds are silent; pick another stretch")


def build_set(name: str, cache: Path, corpus: Path | None, seed: int) -> tuple[dict[str, Path], list[Case]]:
    """(references incl. distractors -> path, queries) of a set, built once into the cache.

    Items are built in a fixed order with seeded random streams (``dev``: 1, then 2 for the
    round-2 additions; hold-outs: ``seed``), so a set rebuilds the same.
    """
    spec = SETS[name]
    dev = name == "dev"
    root = cache / name
    manifest = root / "cases.json"
    extra_refs = spec.get("extra_refs", {})
    refs: dict[str, Path] = {}
    for ref_name, rspec in {**spec["refs"], **spec["distractors"], **extra_refs}.items():
        out = root / "refs" / f"{ref_name}.m4a"
        if not out.exists():
            x = recording(rspec, cache, corpus)
            check_sound(ref_name, x)
            encode(x, out, REF_ENCODE)
        refs[ref_name] = out
    if manifest.exists():
        return refs, [
            Case(**{**c, "segments": tuple(Segment(**s) for s in c["segments"])})
            for c in json.loads(manifest.read_text())
        ]
    rng = random.Random(seed if not dev else 1)
    nrng = np.random.default_rng(seed if not dev else 1)
    beds = (recording(spec["bed"], cache, corpus), recording(spec["street"], cache, corpus))
    cases: list[Case] = []
    qdir = root / "queries"

    def copies(ref_names: Any, kinds: Any, r: random.Random) -> None:
        for ref_name in ref_names:
            x = pcm(refs[ref_name])
            for kind in kinds:
                q, segs, params = make_copy(
                    kind, ref_name, x, qdir / f"{kind}--{ref_name}.m4a", root, dev, r, beds
                )
                cases.append(Case(q.stem, kind, str(q), segs, params))

    copies(spec["refs"], KINDS, rng)
    names = list(spec["refs"])
    pairs = (
        [(names[0], names[3]), (names[4], names[1])] if dev else [(names[1], names[4]), (names[3], names[0])]
    )
    for a_name, b_name in pairs:
        cases.append(compilation(a_name, b_name, refs, qdir, rng))

    def negatives(items: dict[str, Any]) -> None:
        for neg, nspec in items.items():
            q = qdir / f"{neg}.m4a"
            encode(recording(nspec, cache, corpus), q, LOW_AAC)
            cases.append(Case(q.stem, neg.split("--")[0], str(q)))

    negatives(spec["negatives"])
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
    # round-2 additions, after everything above so the earlier items rebuild unchanged
    rng2 = random.Random(2 if dev else seed + 1)
    copies(extra_refs, KINDS + spec.get("extra_kinds", ()), rng2)
    copies(spec["refs"], spec.get("extra_kinds", ()), rng2)
    for a_name, b_name in spec.get("compilations", []):
        cases.append(compilation(a_name, b_name, refs, qdir, rng2))
    negatives(spec.get("extra_negatives", {}))
    manifest.write_text(json.dumps([asdict(c) for c in cases], indent=1))
    return refs, cases
