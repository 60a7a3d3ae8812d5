"""IPTC IIM (the older binary IPTC block news agencies still write): datasets to named fields.

A block is a run of datasets ``0x1C record dataset length value``. Record 1 dataset 90 may
declare UTF-8 (``ESC % G``); without it a value is read as UTF-8 when it is valid UTF-8, else as
Windows-1252. Names follow exiftool's (``By-line``, ``Caption-Abstract``, …).
"""

from __future__ import annotations

import struct

#: (record, dataset) -> exiftool's name; repeatable ones are collected as lists.
DATASETS: dict[tuple[int, int], str] = {
    (2, 5): "ObjectName",
    (2, 25): "Keywords",
    (2, 55): "DateCreated",
    (2, 60): "TimeCreated",
    (2, 62): "DigitalCreationDate",
    (2, 63): "DigitalCreationTime",
    (2, 65): "OriginatingProgram",
    (2, 70): "ProgramVersion",
    (2, 80): "By-line",
    (2, 85): "By-lineTitle",
    (2, 90): "City",
    (2, 92): "Sub-location",
    (2, 95): "Province-State",
    (2, 100): "Country-PrimaryLocationCode",
    (2, 101): "Country-PrimaryLocationName",
    (2, 103): "OriginalTransmissionReference",
    (2, 105): "Headline",
    (2, 110): "Credit",
    (2, 115): "Source",
    (2, 116): "CopyrightNotice",
    (2, 120): "Caption-Abstract",
    (2, 122): "Writer-Editor",
}
REPEATABLE = {"Keywords", "By-line", "By-lineTitle", "Writer-Editor"}
#: Most datasets read from one block.
MAX_DATASETS = 2000


def _decode(raw: bytes, utf8: bool) -> str:
    if utf8:
        return raw.decode("utf-8", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def parse_iim(data: bytes) -> dict[str, str | list[str]]:
    """Named fields of one IIM block (unknown datasets are skipped; damaged tails are ignored)."""
    raw: list[tuple[str, bytes]] = []
    utf8 = False
    pos = 0
    while pos + 5 <= len(data) and len(raw) < MAX_DATASETS:
        if data[pos] != 0x1C:
            break
        record, dataset = data[pos + 1], data[pos + 2]
        (length,) = struct.unpack(">H", data[pos + 3 : pos + 5])
        pos += 5
        if length & 0x8000:  # extended dataset: the length is in the next n bytes
            n = length & 0x7FFF
            if n > 4 or pos + n > len(data):
                break
            length = int.from_bytes(data[pos : pos + n], "big")
            pos += n
        value = data[pos : pos + length]
        pos += length
        if (record, dataset) == (1, 90):
            utf8 = b"\x1b%G" in value
        name = DATASETS.get((record, dataset))
        if name:
            raw.append((name, value.rstrip(b"\x00")))
    out: dict[str, str | list[str]] = {}
    for name, value in raw:
        text = _decode(value, utf8).strip()
        if name in REPEATABLE:
            existing = out.setdefault(name, [])
            if isinstance(existing, list):
                existing.append(text)
        elif name not in out:
            out[name] = text
    return out
