"""The records OCR returns (frozen, schema-versioned; JSON via verify.serial).

Text read from a picture is untrusted like any metadata: stored verbatim, shown through
``safe_text``. Boxes are ``(x0, y0, x1, y1)`` in normalised frame coordinates (0..1, origin top
left, of the upright frame as ``verify.frames`` delivers it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Detection:
    """One line of text read in one frame."""

    text: str
    confidence: float
    box: Box


@dataclass(frozen=True)
class TextItem:
    """A text seen in one or more frames at about the same place: one item with its time span."""

    text: str  # the reading with the highest total confidence
    first: float  # time of the first frame it was read in (seconds, as the player shows)
    last: float  # time of the last one
    box: Box  # median box over the frames it was read in
    confidence: float  # mean confidence of its readings
    frames: int  # how many frames it was read in
    variants: tuple[str, ...] = ()  # other readings merged into it (OCR noise)


@dataclass(frozen=True)
class Lead:
    """Something in the text worth following up: a handle, URL, hashtag, date, time or watermark."""

    kind: str  # handle | url | hashtag | date | time | watermark
    value: str  # the lead itself (``@name``, ``example.org/x``, ``2024-03-01``)
    text: str  # the item it was found in
    first: float
    last: float


@dataclass(frozen=True)
class OcrResult:
    """The text on screen of a clip's frames (see :func:`verify.ocr.read_text`)."""

    schema_version: int = SCHEMA_VERSION
    engine: str = ""  # engine and model ids, e.g. "rapidocr 3.10.0 PP-OCRv6 small (onnxruntime 1.32.0)"
    languages: tuple[str, ...] = ()  # scripts the bundled model reads
    frames_read: int = 0
    times: tuple[float, ...] = ()  # the frame times read
    items: tuple[TextItem, ...] = ()
    leads: tuple[Lead, ...] = ()
    seconds: float = 0.0  # compute time of the recognition
    settings: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        """Every distinct text, one per line (what the library searches)."""
        return "\n".join(dict.fromkeys(i.text for i in self.items))

    def per_frame_ms(self) -> float:
        return 1000.0 * self.seconds / self.frames_read if self.frames_read else 0.0
