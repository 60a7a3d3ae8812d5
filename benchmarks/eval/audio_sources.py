"""Where the audio evaluation's real recordings come from (installed packages; no verify imports).

Every source is a real recording shipped inside a package installable here:

| key | what | package (install) | path | licence |
|---|---|---|---|---|
| allison-* | IVR prompts read by Allison Smith (one speaker, many texts) | Debian `asterisk-core-sounds-en-wav` 1.6.1 | /usr/share/asterisk/sounds/en/*.wav (8 kHz) | CC BY-SA 3.0 |
| moh-* | music-on-hold tracks by Macroform, Manolo Camp, Reno Project | Debian `asterisk-moh-opsound-wav` 2.03 | /usr/share/asterisk/moh/*.wav (8 kHz) | CC BY-SA 3.0 |
| codec2-* | amateur-radio and studio speech (several speakers) | Debian `codec2-examples` 1.0.5 | /usr/share/codec2/wav/*.wav (8 kHz) | LGPL-2.1 |
| arcade-* | instrumental music by Anttis (44.1 kHz stereo MP3) | PyPI `arcade` 3.3.3 wheel (`pip download --no-deps`) | arcade/resources/assets/music/*.mp3 | free release by the author, per its readme |
| ami | 30 s of a meeting (AMI corpus, two speakers) | PyPI `pyannote-audio` 4.0.7 wheel | pyannote/audio/sample/sample.wav (16 kHz) | CC BY 4.0 (AMI), MIT (pyannote) |
| house | a 7 s house-music loop | PyPI `pygame` 2.6.1 wheel | pygame/examples/data/house_lo.ogg | LGPL-2.1 (pygame) |
| corpus-* | the sound of corpus clips | /work/shared/corpus/files | see MANIFEST.md | per file |
| prompts:LANG:A:B | prompts A..B (sorted file names) of one IVR voice, joined with 0.3 s pauses into one recording: `fr` June Wallack, `es` Allison Smith (Spanish), `it` Carlo, `ru` IvrvoiceRU | Debian `asterisk-core-sounds-{fr,es,it,ru}-wav` 1.6.1 | /usr/share/asterisk/sounds/LANG/*.wav (8 kHz) | CC BY-SA 3.0 |
| pingus:NAME | tracker music of the game Pingus (rendered by FFmpeg's libopenmpt) | Debian `pingus-data` 0.7.6 | /usr/share/games/pingus/data/music/NAME | GPL-2+ |

Wheels are fetched with ``pip download --no-deps`` into the cache and read as zip files.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

DEBIAN = {
    # ``sounds/en`` is an alternatives link the package does not always make: its own folder then
    "allison": next(
        (
            p
            for p in (
                Path("/usr/share/asterisk/sounds/en"),
                Path("/usr/share/asterisk/sounds/en_US_f_Allison"),
            )
            if p.is_dir()
        ),
        Path("/usr/share/asterisk/sounds/en"),
    ),
    "moh": Path("/usr/share/asterisk/moh"),
    "codec2": Path("/usr/share/codec2/wav"),
}
DEBIAN_PACKAGES = (
    "asterisk-core-sounds-en-wav asterisk-moh-opsound-wav codec2-examples asterisk-core-sounds-fr-wav"
    " asterisk-core-sounds-es-wav asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav pingus-data"
)
PROMPTS = Path("/usr/share/asterisk/sounds")
GAMES = {
    "pingus": Path("/usr/share/games/pingus/data/music"),
}
WHEELS = {
    "arcade": ("arcade==3.3.3", "arcade/resources/assets/music/{}.mp3"),
    "ami": ("pyannote-audio==4.0.7", "pyannote/audio/sample/sample.wav"),
    "house": ("pygame==2.6.1", "pygame/examples/data/house_lo.ogg"),
}


class MissingSource(RuntimeError):
    pass


def _wheel_member(cache: Path, spec: str, member: str) -> Path:
    out = cache / "sources" / member.replace("/", "__")
    if out.exists():
        return out
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    name = spec.split("==")[0].replace("-", "_").lower()
    found = [w for w in wheels.glob("*.whl") if w.name.lower().startswith(name)]
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels), spec], check=True
        )
        found = [w for w in wheels.glob("*.whl") if w.name.lower().startswith(name)]
    if not found:
        raise MissingSource(f"pip download {spec} gave no wheel")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(found[0]) as z:
        out.write_bytes(z.read(member))
    return out


def source(key: str, cache: Path, corpus: Path | None = None) -> Path:
    """Path of a source recording: ``allison:demo-instruct``, ``arcade:1918``, ``corpus:te-chair...mp4``."""
    kind, _, name = key.partition(":")
    if kind in DEBIAN:
        p = DEBIAN[kind] / f"{name}.wav"
        if not p.exists():
            raise MissingSource(f"{p} is missing: apt-get install {DEBIAN_PACKAGES}")
        return p
    if kind in GAMES:
        matches = sorted(GAMES[kind].glob(name + "*"))
        if not matches:
            raise MissingSource(f"{GAMES[kind]}/{name} is missing: apt-get install {DEBIAN_PACKAGES}")
        return matches[0]
    if kind in WHEELS:
        spec, member = WHEELS[kind]
        return _wheel_member(cache, spec, member.format(name))
    if kind == "corpus":
        if corpus is None or not (corpus / name).exists():
            raise MissingSource(f"corpus file {name} not found (pass --corpus)")
        return corpus / name
    raise KeyError(key)


def prompt_files(key: str) -> list[Path]:
    """The prompt files of ``prompts:LANG:A:B`` (sorted by name; only files at the top of the folder)."""
    _, lang, a, b = key.split(":")
    folder = PROMPTS / lang
    if not folder.is_dir():  # the alternatives link (en -> en_US_f_Allison) the packages do not always make
        voices = sorted(PROMPTS.glob(f"{lang}_*"))
        folder = (
            DEBIAN["allison"]
            if lang == "en" and DEBIAN["allison"].is_dir()
            else (voices[0] if voices else folder)
        )
    # speech only: the voices' folders also hold beeps and dial tones
    files = sorted(
        p for p in folder.glob("*.wav") if p.is_file() and not any(w in p.stem for w in ("tone", "beep"))
    )
    if not files:
        raise MissingSource(f"{folder} has no prompts: apt-get install {DEBIAN_PACKAGES}")
    return files[int(a) : int(b)]
