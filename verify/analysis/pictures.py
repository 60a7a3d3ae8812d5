"""Sample pictures kept from the one decode: what keyframes and evidence pairs are cut from.

The fingerprint pass hands a colour picture of each sample to :class:`SamplePictures` (through a
:class:`~verify.frames.FrameTap`), which keeps it as JPEG with its sharpness, inside a byte
budget: when the budget is reached every other kept picture is dropped and only half as many
are kept from then on, so a long clip costs at most the budget and its pictures stay evenly spread.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import cv2
import numpy as np

from ..frames import Frame, FrameTap, Sampling
from ..pictures import encode
from ..shots import sharpness


@dataclass(frozen=True)
class SamplePicture:
    time: float  # the frame's own presentation time (seconds, stream clock)
    index: int
    jpeg: bytes
    sharpness: float
    width: int
    height: int


class SamplePictures:
    """JPEG pictures of decoded samples, by time, within ``budget`` bytes."""

    def __init__(self, side: int, budget: int, quality: int = 85, every: float = 0.0) -> None:
        self.side, self.budget, self.quality = side, budget, quality
        self.items: list[SamplePicture] = []
        self.bytes = 0
        self.interval = every  # seconds kept pictures must be apart (grows when the budget is reached)

    def tap(self) -> FrameTap:
        return FrameTap(Sampling(max_side=self.side), self.add, self.wants)

    def wants(self, time: float) -> bool:
        """Whether a picture of the frame at ``time`` would be kept (decided before converting it)."""
        return not self.items or time - self.items[-1].time >= self.interval - 1e-6

    def add(self, frame: Frame) -> None:
        if not self.wants(frame.time):
            return
        img = frame.image
        gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        data = encode(img, "jpeg", quality=self.quality)
        pic = SamplePicture(
            float(frame.time), int(frame.index), data, sharpness(gray), img.shape[1], img.shape[0]
        )
        self.items.append(pic)
        self.bytes += len(data)
        if self.bytes > self.budget and len(self.items) > 2:
            self.items = self.items[::2]
            self.bytes = sum(len(p.jpeg) for p in self.items)
            step = float(np.median(np.diff([p.time for p in self.items]))) if len(self.items) > 1 else 1.0
            self.interval = max(self.interval * 2, step)

    def __len__(self) -> int:
        return len(self.items)

    def at(self, time: float, tolerance: float = 1e-3) -> SamplePicture | None:
        """The picture of the sample at ``time`` (stream clock), if one was kept."""
        times = [p.time for p in self.items]
        i = bisect_left(times, time - tolerance)
        if i < len(times) and abs(times[i] - time) <= tolerance:
            return self.items[i]
        return None

    def nearest(self, time: float, within: float) -> SamplePicture | None:
        """The kept picture nearest ``time`` when it is no further than ``within`` seconds."""
        if not self.items:
            return None
        times = [p.time for p in self.items]
        i = bisect_left(times, time)
        best = min((j for j in (i - 1, i) if 0 <= j < len(times)), key=lambda j: abs(times[j] - time))
        return self.items[best] if abs(times[best] - time) <= within else None
