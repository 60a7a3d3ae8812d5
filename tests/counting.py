"""Counting how often a test reads and decodes a file: Python-level reads and FFmpeg-decoded frames.

``Reads(monkeypatch, match)`` wraps ``open`` (binary reads of files whose resolved path ``match``
accepts: every byte read is counted) and verify's decoding loop (frames decoded per file). A file
read once in full shows ``bytes`` about its size; decoded once, ``frames[path]`` its frame count.
"""

from __future__ import annotations

import builtins
import io
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest


def _playback() -> bool:
    """Whether the read is Streamlit reading a clip to serve it to the browser's video player."""
    f = sys._getframe(2)
    while f is not None:
        if "media_file_storage" in f.f_code.co_filename:
            return True
        f = f.f_back  # type: ignore[assignment]
    return False


class Reads:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, match: Callable[[Path], bool]) -> None:
        self.bytes: Counter[str] = Counter()
        self.frames: Counter[str] = Counter()
        self.playback: Counter[str] = Counter()  # read to hand the clip to the browser's player
        real_open = builtins.open
        counter = self

        class Counted(io.BufferedReader):
            def __init__(self, raw: io.RawIOBase, key: str) -> None:
                super().__init__(raw)
                self.key = key

            def read(self, n: int | None = -1) -> bytes:
                data = super().read(n)
                (counter.playback if _playback() else counter.bytes)[self.key] += len(data)
                return data

            def readinto(self, b) -> int:  # type: ignore[no-untyped-def, override]
                n = super().readinto(b)
                (counter.playback if _playback() else counter.bytes)[self.key] += n or 0
                return n

        def fake_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
            fh = real_open(file, mode, *args, **kwargs)
            if isinstance(file, (str, Path)) and "b" in mode and "r" in mode and "+" not in mode:
                p = Path(file).resolve()
                if match(p) and isinstance(fh, io.BufferedReader):
                    return Counted(fh.detach(), str(p))  # type: ignore[arg-type]
            return fh

        monkeypatch.setattr(builtins, "open", fake_open)
        import verify.frames.decode as dec

        real_decoded = dec._decoded

        def counted(container, stream, path, *args):  # type: ignore[no-untyped-def]
            key = str(Path(path).resolve())
            for frame in real_decoded(container, stream, path, *args):
                if match(Path(key)):
                    counter.frames[key] += 1
                yield frame

        monkeypatch.setattr(dec, "_decoded", counted)
