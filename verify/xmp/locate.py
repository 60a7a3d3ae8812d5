"""Find XMP packets (and IPTC IIM blocks) inside a file, without decoding it.

Each finder walks the container's own structure (JPEG segments, PNG chunks, TIFF IFD0,
RIFF chunks, ISO base media boxes) and reads only the bytes of the packets it finds.
Nothing here parses XML: :mod:`.parse` does that, with bounds. A packet larger than
:data:`MAX_PACKET` is not read at all; a note says so.

Where XMP lives, by format:

* JPEG: APP1 ``http://ns.adobe.com/xap/1.0/`` (plus extended XMP in APP1
  ``http://ns.adobe.com/xmp/extension/`` chunks, reassembled); IIM in APP13 ``Photoshop 3.0``
  resource 0x0404.
* PNG: ``iTXt`` chunk with keyword ``XML:com.adobe.xmp`` (zlib-compressed or not).
* TIFF: IFD0 tag 700 (XMP) and tag 33723 (IIM).
* WebP: RIFF chunk ``XMP ``; AVI: RIFF chunk ``_PMX``.
* MP4/MOV: top-level (or ``moov``-level) ``uuid`` box BE7ACFCB-97A9-42E8-9C71-999491E3AFAC,
  ``moov/udta/XMP_`` and ``trak/udta/XMP_``.
* HEIC/HEIF/AVIF: ``application/rdf+xml`` items of the ``meta`` box (``iinf`` + ``iloc``).
* Matroska/WebM and anything FFmpeg reads: a container or stream tag whose value is an XMP
  packet (``XMP``/``xmp`` tags, as FFmpeg exposes them).
"""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger("verify")

#: Largest XMP packet read (bytes). Real packets, Photoshop history included, stay well below.
MAX_PACKET = 2 * 1024 * 1024
#: Most packets (or IIM blocks) taken from one file.
MAX_PACKETS = 8
#: ISO base media boxes nest at most this deep before the walker stops.
MAX_BOX_DEPTH = 6
#: Boxes visited per file before the walker stops (hostile files with millions of tiny boxes).
MAX_BOXES = 20_000

XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_JPEG_EXT = b"http://ns.adobe.com/xmp/extension/\x00"
_PHOTOSHOP = b"Photoshop 3.0\x00"


@dataclass(frozen=True)
class Packet:
    """Raw bytes found in a file: ``kind`` is ``xmp`` or ``iim``; ``source`` says where."""

    kind: str
    source: str
    data: bytes


class Found:
    """Packets and notes collected by the finders (bounded)."""

    def __init__(self) -> None:
        self.packets: list[Packet] = []
        self.notes: list[str] = []

    def add(self, kind: str, source: str, data: bytes) -> None:
        if len(self.packets) >= MAX_PACKETS:
            self.note(f"more than {MAX_PACKETS} metadata packets; the rest were not read")
            return
        self.packets.append(Packet(kind, source, data))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def too_big(self, source: str, size: int) -> bool:
        if size > MAX_PACKET:
            self.note(f"XMP packet in {source} refused: {size:,} bytes is over the {MAX_PACKET:,}-byte limit")
            return True
        return False


def _read(fh: BinaryIO, n: int) -> bytes:
    data = fh.read(n)
    if len(data) < n:
        raise EOFError
    return data


# -- JPEG ----------------------------------------------------------------------------------


def _jpeg(fh: BinaryIO, found: Found) -> None:
    if fh.read(2) != b"\xff\xd8":
        return
    extended: dict[bytes, tuple[int, dict[int, bytes]]] = {}
    while True:
        b = fh.read(1)
        if not b:
            break
        if b != b"\xff":
            continue
        marker = fh.read(1)
        while marker == b"\xff":
            marker = fh.read(1)
        if not marker or marker in (b"\xd9", b"\xda"):  # end of image / start of scan: no more metadata
            break
        if b"\xd0" <= marker <= b"\xd7" or marker in (b"\x01", b"\x00"):
            continue
        (length,) = struct.unpack(">H", _read(fh, 2))
        if length < 2:
            break
        body_len = length - 2
        if marker in (b"\xe1", b"\xed"):
            body = _read(fh, body_len)
            if marker == b"\xe1" and body.startswith(_JPEG_XMP):
                found.add("xmp", "JPEG APP1", body[len(_JPEG_XMP) :])
            elif marker == b"\xe1" and body.startswith(_JPEG_EXT) and len(body) >= len(_JPEG_EXT) + 40:
                rest = body[len(_JPEG_EXT) :]
                guid, total, offset = rest[:32], *struct.unpack(">II", rest[32:40])
                if found.too_big("JPEG extended XMP", total):
                    continue
                entry = extended.setdefault(guid, (total, {}))
                entry[1][offset] = rest[40:]
            elif marker == b"\xed" and body.startswith(_PHOTOSHOP):
                for block in _photoshop_iim(body[len(_PHOTOSHOP) :]):
                    found.add("iim", "JPEG APP13", block)
        else:
            fh.seek(body_len, 1)
    for total, chunks in extended.values():
        data = b"".join(chunks[k] for k in sorted(chunks))
        if len(data) == total:
            found.add("xmp", "JPEG extended XMP", data)
        else:
            found.note("extended XMP in JPEG APP1 is incomplete and was not read")


def _photoshop_iim(data: bytes) -> Iterator[bytes]:
    """IIM blocks (resource 0x0404) from Photoshop image resources."""
    pos = 0
    while pos + 12 <= len(data) and data[pos : pos + 4] == b"8BIM":
        (rid,) = struct.unpack(">H", data[pos + 4 : pos + 6])
        name_len = data[pos + 6]
        pos += 7 + name_len + ((name_len + 1) % 2)  # Pascal string padded to even length
        if pos + 4 > len(data):
            return
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        pos += 4
        if rid == 0x0404:
            yield data[pos : pos + size]
        pos += size + (size % 2)


# -- PNG -----------------------------------------------------------------------------------


def _png(fh: BinaryIO, found: Found) -> None:
    if fh.read(8) != b"\x89PNG\r\n\x1a\n":
        return
    while True:
        head = fh.read(8)
        if len(head) < 8:
            break
        length, ctype = struct.unpack(">I4s", head)
        if ctype == b"IEND":
            break
        if ctype == b"iTXt":
            if found.too_big("PNG iTXt", length):
                fh.seek(length + 4, 1)
                continue
            body = _read(fh, length)
            fh.seek(4, 1)
            keyword, _, rest = body.partition(b"\x00")
            if keyword != b"XML:com.adobe.xmp" or len(rest) < 2:
                continue
            compressed = rest[0] == 1
            rest = rest[2:]
            _lang, _, rest = rest.partition(b"\x00")
            _translated, _, text = rest.partition(b"\x00")
            if compressed:
                d = zlib.decompressobj()
                text = d.decompress(text, MAX_PACKET + 1)
                if len(text) > MAX_PACKET or d.unconsumed_tail:
                    found.too_big("PNG iTXt (compressed)", MAX_PACKET + 1)
                    continue
            found.add("xmp", "PNG iTXt XML:com.adobe.xmp", text)
        else:
            fh.seek(length + 4, 1)


# -- TIFF ----------------------------------------------------------------------------------


def _tiff(fh: BinaryIO, found: Found) -> None:
    head = fh.read(8)
    if head[:4] not in (b"II*\x00", b"MM\x00*"):
        return
    e = "<" if head[:2] == b"II" else ">"
    (ifd,) = struct.unpack(e + "I", head[4:8])
    fh.seek(ifd)
    (count,) = struct.unpack(e + "H", _read(fh, 2))
    sizes = {1: 1, 2: 1, 3: 2, 4: 4, 7: 1}
    wanted = []
    for _ in range(min(count, 1000)):
        tag, typ, n, value = struct.unpack(e + "HHI4s", _read(fh, 12))
        if tag in (700, 33723):
            wanted.append((tag, n * sizes.get(typ, 1), value))
    for tag, size, value in wanted:
        source = "TIFF tag 700" if tag == 700 else "TIFF tag 33723"
        if found.too_big(source, size):
            continue
        if size <= 4:
            data = value[:size]
        else:
            fh.seek(struct.unpack(e + "I", value)[0])
            data = _read(fh, size)
        found.add("xmp" if tag == 700 else "iim", source, data)


# -- RIFF (WebP, AVI) ----------------------------------------------------------------------


def _riff(fh: BinaryIO, found: Found, end: int | None = None, depth: int = 0) -> None:
    if end is None:
        head = fh.read(12)
        if head[:4] != b"RIFF":
            return
        end = 8 + struct.unpack("<I", head[4:8])[0]
    while fh.tell() + 8 <= end:
        cid, size = struct.unpack("<4sI", _read(fh, 8))
        start = fh.tell()
        if cid in (b"XMP ", b"_PMX"):
            source = "WebP XMP chunk" if cid == b"XMP " else "AVI _PMX chunk"
            if not found.too_big(source, size):
                found.add("xmp", source, _read(fh, size))
        elif cid == b"LIST" and depth < 3 and size >= 4:
            kind = fh.read(4)
            if kind != b"movi":  # the frames themselves: nothing to find there
                _riff(fh, found, start + size, depth + 1)
        fh.seek(start + size + (size % 2))


# -- ISO base media (MP4, MOV) -------------------------------------------------------------


def _boxes(fh: BinaryIO, end: int, found: Found, path: str, depth: int, seen: list[int]) -> None:
    while fh.tell() + 8 <= end:
        seen[0] += 1
        if seen[0] > MAX_BOXES:
            found.note(f"more than {MAX_BOXES:,} boxes; the rest of the file was not searched for XMP")
            return
        start = fh.tell()
        size, btype = struct.unpack(">I4s", _read(fh, 8))
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", _read(fh, 8))
            header = 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            return
        name = btype.decode("latin-1")
        body = size - header
        where = f"{path}/{name}" if path else name
        if btype == b"uuid" and body >= 16:
            if fh.read(16) == XMP_UUID and not found.too_big(f"{where} (XMP uuid)", body - 16):
                found.add("xmp", f"{where} (XMP uuid)", _read(fh, body - 16))
        elif btype == b"XMP_" and not found.too_big(where, body):
            found.add("xmp", where, _read(fh, body))
        elif btype in (b"moov", b"udta", b"trak") and depth < MAX_BOX_DEPTH:
            _boxes(fh, start + size, found, where, depth + 1, seen)
        fh.seek(start + size)


def _bmff(fh: BinaryIO, found: Found, size: int) -> None:
    _boxes(fh, size, found, "", 0, [0])


# -- HEIF ----------------------------------------------------------------------------------


def _children(data: bytes, pos: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, body end) of the boxes in ``data[pos:end]``."""
    while pos + 8 <= end:
        size, btype = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1 and pos + 16 <= end:
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        yield btype, pos + header, pos + size
        pos += size


def _uint(data: bytes, pos: int, n: int) -> int:
    if pos + n > len(data):
        raise EOFError
    return int.from_bytes(data[pos : pos + n], "big") if n else 0


def _xmp_items(data: bytes, start: int, end: int) -> list[int]:
    """Ids of the ``application/rdf+xml`` items listed in an ``iinf`` box body."""
    version = data[start]
    pos = start + 4 + (2 if version == 0 else 4)
    out = []
    for btype, b0, b1 in _children(data, pos, end):
        if btype != b"infe" or data[b0] < 2:
            continue
        id_len = 2 if data[b0] == 2 else 4
        item_id = _uint(data, b0 + 4, id_len)
        q = b0 + 4 + id_len + 2
        item_type = data[q : q + 4]
        name_end = data.find(b"\x00", q + 4, b1)
        if item_type == b"mime" and name_end >= 0:
            ctype = data[name_end + 1 : b1].split(b"\x00", 1)[0]
            if ctype.strip().lower() == b"application/rdf+xml":
                out.append(item_id)
    return out


def _locations(data: bytes, start: int) -> dict[int, list[tuple[int, int]]]:
    """item id -> [(file offset, length)] from an ``iloc`` box body (file-offset items only)."""
    version = data[start]
    pos = start + 4
    a, b = data[pos], data[pos + 1]
    off_size, len_size, base_size = a >> 4, a & 15, b >> 4
    idx_size = b & 15 if version in (1, 2) else 0
    pos += 2
    count = _uint(data, pos, 4 if version == 2 else 2)
    pos += 4 if version == 2 else 2
    out: dict[int, list[tuple[int, int]]] = {}
    for _ in range(min(count, MAX_BOXES)):
        item_id = _uint(data, pos, 4 if version == 2 else 2)
        pos += 4 if version == 2 else 2
        method = 0
        if version in (1, 2):
            method = _uint(data, pos, 2) & 15
            pos += 2
        pos += 2  # data_reference_index
        base = _uint(data, pos, base_size)
        pos += base_size
        n = _uint(data, pos, 2)
        pos += 2
        extents = []
        for _ in range(n):
            pos += idx_size
            off = _uint(data, pos, off_size)
            pos += off_size
            length = _uint(data, pos, len_size)
            pos += len_size
            extents.append((base + off, length))
        if method == 0:
            out[item_id] = extents
    return out


def _heif(fh: BinaryIO, found: Found, size: int) -> None:
    """XMP items of a HEIF/AVIF file (``meta`` box: ``iinf`` lists them, ``iloc`` places them)."""
    head = fh.read(min(size, 1 << 20))  # the meta box sits near the start
    for btype, b0, b1 in _children(head, 0, len(head)):
        if btype != b"meta":
            continue
        ids: list[int] = []
        where: dict[int, list[tuple[int, int]]] = {}
        for ctype, c0, c1 in _children(head, b0 + 4, b1):
            if ctype == b"iinf":
                ids = _xmp_items(head, c0, c1)
            elif ctype == b"iloc":
                where = _locations(head, c0)
        for item in ids:
            extents = where.get(item, [])
            total = sum(length for _, length in extents)
            source = f"HEIF item {item} (application/rdf+xml)"
            if not extents or found.too_big(source, total):
                continue
            parts = []
            for off, length in extents:
                fh.seek(off)
                parts.append(_read(fh, length))
            found.add("xmp", source, b"".join(parts))
        return


# -- entry points --------------------------------------------------------------------------

_BY_FORMAT = {"jpeg": _jpeg, "png": _png, "tiff": _tiff, "webp": _riff, "avi": _riff}
_BMFF = {"mp4", "mov", "3gp", "m4a", "cr3"}


def find_packets(path: Path, fmt: str, tags: Mapping[str, Mapping[str, str]] | None = None) -> Found:
    """The XMP packets and IIM blocks of ``path`` (``fmt`` is the sniffed format name).

    ``tags`` maps a place (``format``, ``stream 0``) to the tags FFmpeg read there; values
    that are XMP packets count too (Matroska, and MP4 files FFmpeg exposes XMP for).
    """
    found = Found()
    try:
        with open(path, "rb") as fh:
            if fmt in _BY_FORMAT:
                _BY_FORMAT[fmt](fh, found)
            elif fmt in _BMFF:
                _bmff(fh, found, path.stat().st_size)
            elif fmt in ("heic", "heif", "avif"):
                _heif(fh, found, path.stat().st_size)
    except (EOFError, struct.error, IndexError):
        found.note("the file ends inside a metadata block; XMP may be incomplete")
    except (OSError, zlib.error) as exc:
        found.note(f"metadata blocks unreadable ({type(exc).__name__}: {exc})")
    for place, values in (tags or {}).items():
        for key, value in values.items():
            text = value.lstrip() if isinstance(value, str) else ""
            if key.lower().startswith("xmp") and text.startswith(("<?xpacket", "<x:xmpmeta", "<rdf:RDF")):
                data = value.encode("utf-8", "surrogatepass")
                if not found.too_big(f"{place} tag {key}", len(data)):
                    found.add("xmp", f"{place} tag {key}", data)
    return found
