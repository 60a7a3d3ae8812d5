"""The picture evaluation's sets with sound (issue 10: "the picture evaluation re-run with sound on").

The picture sets (:mod:`.sets`, :mod:`.build`) are silent: every edit is encoded with ``-an``. This
module makes a copy of a built set in which

* every **reference** carries a real recording as its sound (speech in a voice of its own: IVR
  prompts of the Debian ``asterisk-core-sounds-*`` packages, joined as in the audio evaluation;
  see :mod:`.audio_sources` for sources and licences), its video stream copied unchanged;
* every **copy** carries the sound of what it shows, built from its ground truth: for each
  segment, the reference's sound over ``[reference_start, reference_end]`` time-stretched to the
  segment's length with the pitch kept (``atempo``), reversed when the picture is, and placed at
  ``query_start``; silence where the copy shows no reference (the other footage of a compilation,
  a picture-in-picture background); two references shown at once (split screen, inset) are mixed;
* every **same-camera negative** carries *other speech in the same voice* (the same speaker on
  another occasion is not the same recording), every unrelated negative speech in a voice no
  reference uses.

The video streams are stream-copied, so a picture-only system sees exactly the pictures of the
silent set. Queries get AAC mono 64 kbps (an upload's re-encode); references AAC stereo 128 kbps.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from . import sets
from .audio_sets import RATE, pcm, recording
from .edits import Case, Ref, Segment
from .ffmpeg import ffmpeg_exe, probe

#: one voice (``prompts:FOLDER``) per reference, in the order of the set's reference names; the
#: prompt ranges of the references, of the same-camera negatives and of the unrelated negatives
#: never overlap. Dev and hold-out use different prompt ranges.
VOICES = [
    "en_US_f_Allison",
    "fr",
    "es",
    "it",
    "ru",
]  # Allison Smith (English, Spanish), June Wallack, Carlo, IvrvoiceRU
FIRST_PROMPT = {"dev": 0, "holdout": 140}
PROMPTS_PER_REFERENCE = 24  # about 45 s of speech with the 0.3 s pauses
QUERY_AUDIO = ["-c:a", "aac", "-b:a", "64k", "-ac", "1"]
REF_AUDIO = ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]


def _speech(voice: str, block: int, first: int) -> tuple[str, float, None]:
    a = first + block * PROMPTS_PER_REFERENCE
    return (f"prompts:{voice}:{a}:{a + PROMPTS_PER_REFERENCE}", 0.0, None)


def assign(set_name: str, refs: list[Ref]) -> dict[str, tuple[str, float, None]]:
    """Reference name -> its recording spec: voices in turn, a new prompt block each round."""
    first = FIRST_PROMPT["holdout" if set_name == "holdout" else "dev"]
    return {r.name: _speech(VOICES[i % len(VOICES)], i // len(VOICES), first) for i, r in enumerate(refs)}


def _mux(video: str, sound: np.ndarray, out: Path, enc: list[str]) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".part" + out.suffix)
    args = [ffmpeg_exe(), "-v", "error", "-y", "-i", video, "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "-",
            "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", *enc, "-shortest", str(tmp)]  # fmt: skip
    subprocess.run(args, input=np.clip(sound, -1, 1).astype(np.float32).tobytes(), check=True)
    tmp.replace(out)
    return out


def _atempo(x: np.ndarray, factor: float) -> np.ndarray:
    """``x`` played ``factor`` times faster, pitch kept (FFmpeg's atempo, chained beyond 0.5..2)."""
    if abs(factor - 1.0) < 0.005 or len(x) == 0:
        return x
    chain, f = [], factor
    while f > 2.0:
        chain.append("atempo=2.0")
        f /= 2.0
    while f < 0.5:
        chain.append("atempo=0.5")
        f /= 0.5
    chain.append(f"atempo={f:.6f}")
    args = [ffmpeg_exe(), "-v", "error", "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "-", "-af", ",".join(chain),
            "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-"]  # fmt: skip
    out = subprocess.run(args, input=x.astype(np.float32).tobytes(), capture_output=True, check=True).stdout
    return np.frombuffer(out, np.float32).copy()


def copy_sound(segments: tuple[Segment, ...], duration: float, ref_sound: dict[str, Path]) -> np.ndarray:
    """The sound of a copy from its ground truth (see the module docstring)."""
    out = np.zeros(round(duration * RATE) + 1, np.float32)
    for s in segments:
        q0, q1 = s.query_start, s.query_end
        r0, r1 = sorted((s.reference_start, s.reference_end))
        if q1 - q0 <= 0.05 or r1 - r0 <= 0.05:
            continue
        piece = pcm(ref_sound[s.reference], start=r0, end=r1)
        piece = _atempo(piece, (r1 - r0) / (q1 - q0))
        if s.reference_start > s.reference_end:
            piece = piece[::-1]
        a = round(q0 * RATE)
        n = min(len(piece), len(out) - a)
        if n > 0:
            out[a : a + n] += piece[:n]
    peak = float(np.abs(out).max()) if len(out) else 0.0
    return out / peak * 0.9 if peak > 0.9 else out


def with_sound(
    set_name: str,
    refs: list[Ref],
    dis: list[Ref],
    cases: list[Case],
    cache: Path,
    log: Callable[[str], None] = print,
) -> tuple[list[Ref], list[Ref], list[Case]]:
    """The set ``set_name`` (already built) with sound, in ``cache/<set>+sound``; distractors as they are."""
    base = cache / f"{set_name}+sound"
    specs = assign(set_name, refs)
    ref_sound: dict[str, Path] = {}
    new_refs = []
    for r in refs:
        out = base / "refs" / f"{r.name}.mp4"
        if not out.exists():
            log(f"  {set_name}+sound: reference {r.name} <- {specs[r.name][0]}")
            x = recording(specs[r.name], cache, None)
            _mux(r.path, x[: int((r.duration + 1.0) * RATE)], out, REF_AUDIO)
        ref_sound[r.name] = out
        new_refs.append(replace(r, path=str(out)))
    by_source = _references_by_source(set_name)
    first = FIRST_PROMPT["holdout" if set_name == "holdout" else "dev"]
    n_blocks = -(-len(refs) // len(VOICES))
    new_cases = []
    for i, c in enumerate(cases):
        out = base / "queries" / Path(c.path).name
        if not out.exists():
            duration = probe(c.path).duration
            if c.segments:
                x = copy_sound(c.segments, duration, ref_sound)
            else:
                x = recording(_negative_speech(c, i, specs, by_source, first, n_blocks), cache, None)
                x = x[: int((duration + 1.0) * RATE)]
            log(f"  {set_name}+sound: {c.name}")
            _mux(c.path, x, out, QUERY_AUDIO)
        new_cases.append(replace(c, path=str(out)))
    return new_refs, dis, new_cases


def _references_by_source(set_name: str) -> dict[str, list[str]]:
    key = "holdout" if set_name == "holdout" else "dev"
    table = {**(sets.HOLDOUT_REFS if key == "holdout" else sets.DEV_REFS), **sets.LOW_MOTION_REFS[key]}
    out: dict[str, list[str]] = {}
    for name, (f, _a, _b) in table.items():
        out.setdefault(f, []).append(name)
    return out


def _negative_speech(
    c: Case,
    i: int,
    specs: dict[str, tuple[str, float, None]],
    by_source: dict[str, list[str]],
    first: int,
    n_blocks: int,
) -> tuple[str, float, None]:
    """A same-camera negative: the voice of that camera's reference, prompts no reference uses.
    An unrelated negative: a voice and prompts no reference uses."""
    names = by_source.get(str(c.params.get("source", "")), [])
    if c.kind == "negative-static" and names and names[0] in specs:
        voice = specs[names[0]][0].split(":")[1]
    else:
        voice = VOICES[i % len(VOICES)]
    return _speech(voice, n_blocks + i % 2, first)
