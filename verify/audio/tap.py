"""The sound of the one decode: a sink for ``verify.fingerprint.fingerprint(..., audio=sink)``.

The picture's decode loop (``verify/frames/decode.py``) demuxes the main audio stream in the same
pass and hands each decoded ``av.AudioFrame`` to a sink; :class:`SoundTap` is that sink. It feeds
an :class:`~verify.audio.AudioFingerprinter` and, after the decode, says what the sound was::

    tap = SoundTap()
    fp = fingerprint(path, REFERENCE, info=info, audio=tap)
    sound = tap.finish(info, sha256=fp.sha256)   # None: the file has no audio stream

:func:`fingerprint_with_sound` does exactly that (picture and sound from one read and one decode).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av

from .fingerprint import AudioFingerprint, AudioFingerprinter
from .settings import DEFAULT, AudioSettings

if TYPE_CHECKING:
    from ..fingerprint import Fingerprint, FingerprintSettings
    from ..probe import MediaInfo


def has_audio_stream(info: MediaInfo | None) -> bool:
    """Whether the probe saw an audio stream."""
    return info is not None and any(s.type == "audio" for s in info.streams)


class SoundTap:
    """Callable audio sink: every decoded frame of the main audio stream goes to the fingerprinter."""

    def __init__(self, settings: AudioSettings = DEFAULT) -> None:
        self.fingerprinter = AudioFingerprinter(settings)
        self.frames = 0

    def __call__(self, frame: av.AudioFrame) -> None:
        self.frames += 1
        self.fingerprinter.add_frame(frame)

    def finish(self, info: MediaInfo | None = None, *, sha256: str = "") -> AudioFingerprint | None:
        """The sound's fingerprint (its ``status`` says when there was nothing to match), or None
        when the file has no audio stream at all (picture only; without ``info``: when no sound
        was decoded)."""
        if self.frames == 0 and not has_audio_stream(info):
            return None
        fp = self.fingerprinter.finish(sha256=sha256)
        if fp.status == "no-sound":  # a stream was there but nothing of it decoded
            fp = dataclasses.replace(
                fp, status="undecodable", message="its audio stream gave no sound that decodes"
            )
        return fp


def lead(sound: AudioFingerprint | None, picture: Fingerprint | None) -> float:
    """Audio stream start minus video stream start (seconds) of one file: ``fusion.Clocks``' lead."""
    if sound is None or picture is None:
        return 0.0
    return float(sound.start_time) - float(getattr(picture, "start_time", 0.0) or 0.0)


def fingerprint_with_sound(
    path: str | Path,
    settings: FingerprintSettings,
    progress: Callable[[float, float], None] | None = None,
    *,
    info: MediaInfo | None = None,
    sound: bool = True,
    audio_settings: AudioSettings = DEFAULT,
    **kwargs: Any,
) -> tuple[Fingerprint, AudioFingerprint | None]:
    """The picture fingerprint and (with ``sound``) the sound's, from one decode of ``path``."""
    from ..fingerprint import fingerprint

    tap = SoundTap(audio_settings) if sound else None
    fp = fingerprint(path, settings, progress, info=info, audio=tap, **kwargs)
    return fp, (tap.finish(info, sha256=fp.sha256) if tap is not None else None)
