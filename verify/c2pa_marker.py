"""Does a file carry embedded Content Credentials at all? Answered from its structure, not its bytes.

The C2PA reader reads (and for validation hashes) the whole file. Most files carry no manifest, so
before handing a file to it we look where the C2PA specification embeds a manifest store:

* ISO BMFF (MP4, MOV, HEIF/HEIC, AVIF): a top-level ``uuid`` box with the C2PA user type
  ``d8fec3d6-1b0e-483c-9297-5828877ec481`` (only box headers are read; payloads are skipped);
* JPEG: an APP11 segment holding JUMBF (``JP`` common identifier), before the image data;
* PNG: a ``caBX`` chunk; WebP: a ``C2PA`` RIFF chunk.

For these formats a file without such a box/segment/chunk has no embedded manifest (``False``).
For any other format the answer is ``None`` (unknown: let the reader look).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
_MAX_ITEMS = 100_000  # boxes, segments or chunks looked at before giving up (then: unknown)


def _bmff(fh: BinaryIO, size: int) -> bool | None:
    pos = 0
    for _ in range(_MAX_ITEMS):
        if pos + 8 > size:
            return False
        fh.seek(pos)
        head = fh.read(16)
        if len(head) < 8:
            return False
        length, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if length == 1:
            if len(head) < 16:
                return None
            length = struct.unpack(">Q", head[8:16])[0]
            header = 16
        elif length == 0:
            length = size - pos
        if kind == b"uuid":
            fh.seek(pos + header)
            if fh.read(16) == C2PA_UUID:
                return True
        if length < header:
            return None  # a damaged box: let the reader decide
        pos += length
    return None


def _jpeg(fh: BinaryIO) -> bool | None:
    fh.seek(2)
    for _ in range(_MAX_ITEMS):
        marker = fh.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        code = marker[1]
        if code == 0xFF:  # fill byte
            fh.seek(-1, 1)
            continue
        if code in (0xD9, 0xDA):  # end of image, start of scan: no more metadata segments
            return False
        if 0xD0 <= code <= 0xD7 or code == 0x01:
            continue
        raw = fh.read(2)
        if len(raw) < 2:
            return None
        length = struct.unpack(">H", raw)[0]
        if code == 0xEB:  # APP11: JUMBF
            body = fh.read(min(length - 2, 16))
            if body[:2] == b"JP":
                return True
            fh.seek(length - 2 - len(body), 1)
        else:
            fh.seek(length - 2, 1)
    return None


def _png(fh: BinaryIO) -> bool | None:
    fh.seek(8)
    for _ in range(_MAX_ITEMS):
        head = fh.read(8)
        if len(head) < 8:
            return False
        length, kind = struct.unpack(">I4s", head)
        if kind == b"caBX":
            return True
        if kind == b"IEND":
            return False
        fh.seek(length + 4, 1)
    return None


def _webp(fh: BinaryIO, size: int) -> bool | None:
    pos = 12
    for _ in range(_MAX_ITEMS):
        if pos + 8 > size:
            return False
        fh.seek(pos)
        head = fh.read(8)
        if len(head) < 8:
            return False
        kind, length = struct.unpack("<4sI", head)
        if kind == b"C2PA":
            return True
        pos += 8 + length + (length & 1)
    return None


def has_embedded_manifest(path: str | Path, head: bytes) -> bool | None:
    """True/False for the formats above (from their structure), None when the format is another."""
    p = Path(path)
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            if head[4:8] == b"ftyp":
                return _bmff(fh, size)
            if head[:3] == b"\xff\xd8\xff":
                return _jpeg(fh)
            if head[:8] == b"\x89PNG\r\n\x1a\n":
                return _png(fh)
            if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
                return _webp(fh, size)
    except (OSError, struct.error):
        return None
    return None
