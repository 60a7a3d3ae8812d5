"""Hostile case files (``.verify.zip``): the attacks a case file from elsewhere can carry.

Shared by the CLI attack suite (``tests/test_case_attacks.py``) and the workbench's; keep the
interface stable::

    from tests.hostile_cases import build_all, HostileCase

    for case in build_all(tmp_path):        # a list of HostileCase, built in well under a minute
        case.name        # short id, e.g. "zip-slip", "json-depth-report"
        case.path        # the .verify.zip (or not-a-zip) file
        case.expect      # "ok": a valid case, check ok, opens
                         # "safe": valid but full of hostile strings; check ok, opens, and every
                         #         string shown is visible text (no ESC/BEL/bidi), bounded
                         # "refused": check fails and open refuses (CLI exit 2, one line)
        case.reason      # a word the refusal names (case-insensitive), "" for ok/safe
        case.about       # one sentence: what the attack is

    attack_problems(case, "open", run)  # the CLI verdict on one run (tests/runner.py's Run)

``HOSTILE_STRINGS`` are the terminal/markup payloads planted in the "safe" cases; a viewer must
show none of them raw. Every archive is crafted byte by byte (:func:`write_zip`), so headers can
lie in ways ``zipfile`` would never write: sizes, CRCs, duplicate names, link bits, encryption
flags, compression methods, overlapping members.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import stat
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from verify.case import save_case
from verify.custody import CustodyLog
from verify.pictures import add_image
from verify.report import FileRecord, KeyframeRecord, Report

#: Planted in the "safe" cases: title change (OSC), clear screen, bell, bidi override, markup.
HOSTILE_STRINGS = (
    "\x1b]0;pwned\x07",
    "\x1b[2J\x1b[3J\x1b[H",
    "\u202eevil\u202c",
    "<img src=x onerror=alert(1)>",
    "![x](https://attacker.example/t.png)",
)
#: Peak memory any attack may take in the CLI (a clean `case open` takes ~100 MB).
MAX_MB = 500
#: Bytes that must never reach a terminal raw from a case file.
RAW_CONTROLS = (b"\x1b", b"\x07", "\u202e".encode(), "\x9b".encode())


@dataclass(frozen=True)
class HostileCase:
    name: str
    path: Path
    expect: str  # "ok" | "safe" | "refused"
    reason: str = ""
    about: str = ""


# -- a zip writer that can lie -----------------------------------------------------------


@dataclass
class Entry:
    """One member as it goes into the archive: ``payload`` is stored as is (already compressed
    for ``method=8``); sizes and CRC default to the honest values for ``plain``."""

    name: str | bytes
    payload: bytes
    method: int = 0
    plain_size: int | None = None  # uncompressed size (default: len(payload) for stored)
    crc: int | None = None
    file_size: int | None = None  # what the headers claim (default: plain_size)
    cd_file_size: int | None = None  # central directory only (default: file_size)
    external_attr: int = 0o100644 << 16
    flags: int = 0x800  # UTF-8 names
    local_offset: int | None = None  # point the central entry at another member's local header
    compress_size: int | None = None  # what the headers claim the stored bytes are (default: the truth)


def stored(name: str | bytes, data: bytes, **kw) -> Entry:  # type: ignore[no-untyped-def]
    return Entry(name, data, 0, len(data), zlib.crc32(data), **kw)


def deflated(name: str | bytes, data: bytes, **kw) -> Entry:  # type: ignore[no-untyped-def]
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Entry(name, c.compress(data) + c.flush(), 8, len(data), zlib.crc32(data), **kw)


def deflated_repeat(name: str, prefix: bytes, block: bytes, times: int, suffix: bytes, **kw) -> Entry:  # type: ignore[no-untyped-def]
    """``prefix + block * times + suffix`` deflated without ever holding it: independent deflate
    blocks (full flush) concatenate into one valid stream."""

    def part(data: bytes, final: bool = False) -> bytes:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + (c.flush() if final else c.flush(zlib.Z_FULL_FLUSH))

    one = part(block)
    crc = zlib.crc32(prefix)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(suffix, crc)
    payload = part(prefix) + one * times + part(suffix, final=True)
    return Entry(name, payload, 8, len(prefix) + len(block) * times + len(suffix), crc, **kw)


_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")


def write_zip(path: Path, entries: list[Entry], *, keep: float | None = None) -> Path:
    """Write ``entries`` as a zip archive, exactly as described (lies included); ``keep`` < 1
    keeps only that fraction of the bytes, ``keep`` > 1 drops that many bytes from the end."""
    body = bytearray()
    central = bytearray()
    offsets: list[int] = []
    for e in entries:
        name = e.name.encode("utf-8", "surrogateescape") if isinstance(e.name, str) else e.name
        plain = e.plain_size if e.plain_size is not None else len(e.payload)
        crc = e.crc if e.crc is not None else zlib.crc32(e.payload)
        size = e.file_size if e.file_size is not None else plain
        offsets.append(len(body))
        csize = e.compress_size if e.compress_size is not None else len(e.payload)
        body += _LOCAL.pack(b"PK\x03\x04", 20, e.flags, e.method, 0, 0x21, crc, csize, size, len(name), 0)
        body += name + e.payload
    for e, offset in zip(entries, offsets):
        name = e.name.encode("utf-8", "surrogateescape") if isinstance(e.name, str) else e.name
        plain = e.plain_size if e.plain_size is not None else len(e.payload)
        crc = e.crc if e.crc is not None else zlib.crc32(e.payload)
        size = e.file_size if e.file_size is not None else plain
        cd_size = e.cd_file_size if e.cd_file_size is not None else size
        at = e.local_offset if e.local_offset is not None else offset
        csize = e.compress_size if e.compress_size is not None else len(e.payload)
        central += _CENTRAL.pack(b"PK\x01\x02", 0x031E, 20, e.flags, e.method, 0, 0x21, crc, csize,
                                 cd_size, len(name), 0, 0, 0, 0, e.external_attr, at)  # fmt: skip
        central += name
    end = _END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(body), 0)
    data = bytes(body + central + end)
    if keep is not None:
        data = data[: int(len(data) * keep)] if keep < 1 else data[: len(data) - int(keep)]
    path.write_bytes(data)
    return path


# -- the honest case every attack starts from ----------------------------------------------


def _picture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
    return np.kron(small, np.ones((8, 8, 1), np.uint8))


def base_report(
    folder: Path, *, name: str = "clip.mp4", original: bytes | None = None
) -> tuple[Report, Path]:
    """A small valid report (two keyframe pictures) about ``folder/name`` (written here)."""
    data = original if original is not None else b"verify test original: not footage, only hashed\n" * 64
    src = folder / "original.bin"
    src.write_bytes(data)
    images: dict[str, bytes] = {}
    frames = tuple(
        KeyframeRecord(
            float(i), i * 25, i, add_image(images, f"images/keyframe-{i:03d}-{i:09.3f}s.jpg", _picture(i))
        )
        for i in range(2)
    )
    sha = hashlib.sha256(data).hexdigest()
    record = FileRecord(name, len(data), sha, hashlib.md5(data).hexdigest(), "2025-01-01T00:00:00Z", str(src))
    report = Report(case_id=f"VER-20250101-{sha[:8]}", file=record, created_at="2025-01-01T00:00:00Z",
                    keyframes=frames, images=images, custody=CustodyLog())  # fmt: skip
    report.log("received", f"{name} ({len(data):,} bytes)")
    return report, src


def members_of(case: Path) -> dict[str, bytes]:
    """Every member of an honest case file, in order."""
    import zipfile

    with zipfile.ZipFile(case) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def manifest_for(members: dict[str, bytes], base: dict, *, original: str | None = None) -> bytes:  # type: ignore[type-arg]
    """A manifest that agrees with ``members`` (what an attacker who rewrites both writes)."""
    m = json.loads(json.dumps(base))
    m["files"] = {
        n: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
        for n, b in members.items()
        if n != "manifest.json"
    }
    if original is not None:
        data = members[original]
        m["original"].update(sha256=hashlib.sha256(data).hexdigest(), size=len(data), included=True)
    return json.dumps(m, indent=2).encode()


def _pack(path: Path, members: dict[str, bytes], *, manifest: bytes | None = None) -> Path:
    entries = [stored("manifest.json", manifest)] if manifest is not None else []
    entries += [deflated(n, b) for n, b in members.items() if n != "manifest.json" or manifest is None]
    return write_zip(path, entries)


def _with_report(members: dict[str, bytes], base: dict, report: bytes) -> dict[str, bytes]:  # type: ignore[type-arg]
    """Members with report.json replaced and the manifest made to agree."""
    out = {**members, "report.json": report}
    out["manifest.json"] = manifest_for(out, base)
    return out


# -- the attacks ----------------------------------------------------------------------------


def build_all(folder: Path) -> list[HostileCase]:
    """Write every hostile case into ``folder`` and return them (plus two honest ones)."""
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / "work"
    work.mkdir(exist_ok=True)
    report, src = base_report(work)
    valid = save_case(dataclasses.replace(report, custody=report.custody.copy()), folder / "valid.verify.zip")
    with_orig = save_case(
        dataclasses.replace(report, custody=report.custody.copy()), folder / "valid-original.verify.zip",
        include_original=True, original=src,
    )  # fmt: skip
    m = members_of(valid)
    mo = members_of(with_orig)
    base = json.loads(m["manifest.json"])
    base_o = json.loads(mo["manifest.json"])
    rep = json.loads(m["report.json"])
    pic = next(n for n in m if n.startswith("images/"))
    orig = next(n for n in mo if n.startswith("original/"))
    cases: list[HostileCase] = [
        HostileCase("valid", valid, "ok", about="an honest case file written by verify"),
        HostileCase(
            "valid-original", with_orig, "ok", about="an honest case file with the original included"
        ),
    ]

    def add(name: str, path: Path, expect: str, reason: str, about: str) -> None:
        cases.append(HostileCase(name, path, expect, reason, about))

    def p(name: str) -> Path:
        return folder / f"{name}.verify.zip"

    def consistent(extra: dict[str, bytes], *, entries: list[Entry] | None = None) -> list[Entry]:
        """Members plus ``extra`` and ``entries``, with a manifest listing them all (the attacker
        rewrote it): ``entries`` are listed with the size their header claims."""
        allm = {**m, **extra}
        listed = json.loads(manifest_for(allm, base))
        for e in entries or []:
            name = e.name if isinstance(e.name, str) else e.name.decode("utf-8", "replace")
            claimed = e.file_size if e.file_size is not None else (e.plain_size or len(e.payload))
            plain = e.payload if e.method == 0 and claimed == len(e.payload) else b""
            listed["files"][name] = {"sha256": hashlib.sha256(plain).hexdigest(), "size": claimed}
        return (
            [stored("manifest.json", json.dumps(listed).encode())]
            + [deflated(n, b) for n, b in allm.items() if n != "manifest.json"]
            + (entries or [])
        )

    # paths that escape the folder, links, encryption, methods
    for name, member, about in (
        ("zip-slip", "../../escaped.txt", "a member named ../../escaped.txt (zip slip)"),
        ("absolute-path", "/tmp/verify-absolute.txt", "a member with an absolute path"),
        ("backslash-path", "..\\..\\windows-escape.txt", "a member that escapes with backslashes"),
        ("drive-path", "C:/Windows/evil.txt", "a member with a drive letter"),
        ("control-name", "images/\x1b]0;pwned\x07\x1b[2J.jpg", "a member name holding terminal escapes"),
        ("long-name", "images/" + "n" * 60_000 + ".jpg", "a 60 KB member name"),
    ):
        write_zip(p(name), consistent({member: b"pwned"}))
        add(name, p(name), "refused", "unsafe member name", about)
    link = stored("images/link.jpg", b"/etc/passwd", external_attr=(stat.S_IFLNK | 0o777) << 16)
    write_zip(p("symlink"), consistent({}, entries=[link]))
    add(
        "symlink", p("symlink"), "refused", "symbolic link", "a member that is a symbolic link to /etc/passwd"
    )
    enc = dataclasses.replace(deflated(pic, m[pic]), flags=0x801)
    write_zip(p("encrypted"), [e if e.name != pic else enc for e in consistent({})])
    add("encrypted", p("encrypted"), "refused", "encrypted", "a member flagged as encrypted")
    odd = dataclasses.replace(stored(pic, m[pic]), method=12)
    write_zip(p("bzip2-method"), [e if e.name != pic else odd for e in consistent({})])
    add(
        "bzip2-method", p("bzip2-method"), "refused", "compression method", "a member using bzip2 (method 12)"
    )

    # zip bombs: honest headers (refused by ratio), lying headers (cut off while reading)
    gig = 1 << 30
    bomb = deflated_repeat("images/bomb.jpg", b"", bytes(1 << 20), gig >> 20, b"")
    write_zip(p("zip-bomb"), consistent({}, entries=[bomb]))
    add("zip-bomb", p("zip-bomb"), "refused", "zip bomb", "1 GiB of zeros in a 1 MB member")
    liar = dataclasses.replace(bomb, file_size=len(bomb.payload))
    write_zip(p("zip-bomb-lying"), consistent({}, entries=[liar]))
    add("zip-bomb-lying", p("zip-bomb-lying"), "refused", "images/bomb.jpg",
        "1 GiB of zeros whose header claims 1 MB (the reader must stop at the claimed size)")  # fmt: skip
    tiny = dataclasses.replace(bomb, file_size=10)
    write_zip(p("zip-bomb-tiny-header"), consistent({}, entries=[tiny]))
    add("zip-bomb-tiny-header", p("zip-bomb-tiny-header"), "refused", "images/bomb.jpg",
        "1 GiB of zeros whose header claims 10 bytes")  # fmt: skip
    big = [
        dataclasses.replace(
            stored(f"images/big{i}.jpg", b"x" * 16), file_size=30 << 20, compress_size=30 << 20
        )
        for i in range(10)
    ]
    write_zip(p("members-add-up"), consistent({}, entries=big))
    add(
        "members-add-up",
        p("members-add-up"),
        "refused",
        "add up",
        "ten members declaring 30 MB each (300 MB in all)",
    )
    huge = dataclasses.replace(
        stored("images/huge.jpg", b"x" * 16), file_size=100 << 20, compress_size=100 << 20
    )
    write_zip(p("member-too-large"), consistent({}, entries=[huge]))
    add("member-too-large", p("member-too-large"), "refused", "at most", "one picture declaring 100 MB")
    many = [stored(f"images/m{i:05d}.jpg", b"") for i in range(5000)]
    write_zip(p("many-members"), consistent({}, entries=many))
    add("many-members", p("many-members"), "refused", "members", "5,000 members")
    wide_dir = [stored("images/" + f"{i:04d}" + "d" * 400 + ".jpg", b"") for i in range(3000)]
    write_zip(p("huge-directory"), consistent({}, entries=wide_dir))
    add("huge-directory", p("huge-directory"), "refused", "directory", "a 1.3 MB central directory")
    shadow = {**m, "images/overlap.jpg": m[pic]}
    rest = _entries({n: b for n, b in m.items() if n != "manifest.json"})
    overlap = [stored("manifest.json", manifest_for(shadow, base)), *rest]
    pic_at = (
        len(overlap[0].payload) + 30 + len("manifest.json")
    )  # the picture's local header follows the manifest
    first_pic = next(i for i, e in enumerate(overlap) if e.name == pic)
    assert first_pic == 1, "the picture must directly follow the manifest"
    overlap.append(dataclasses.replace(overlap[first_pic], name="images/overlap.jpg", local_offset=pic_at))
    write_zip(p("overlapping-members"), overlap)
    add("overlapping-members", p("overlapping-members"), "refused", "overlap",
        "a second directory entry pointing at the first member's bytes")  # fmt: skip

    # JSON bombs: by size, by depth, by width
    head = (
        json.dumps({"file": rep["file"], "schema_version": rep["schema_version"]})[:-1].encode()
        + b', "probe": {"x": "'
    )
    jb = deflated_repeat("report.json", head, b"A" * (1 << 20), 250, b'"}}')
    write_zip(p("json-bomb-report"), [stored("manifest.json", m["manifest.json"]), jb]
              + [deflated(n, b) for n, b in m.items() if n not in ("manifest.json", "report.json")])  # fmt: skip
    add(
        "json-bomb-report", p("json-bomb-report"), "refused", "report.json", "report.json expanding to 250 MB"
    )
    mb = deflated_repeat(
        "manifest.json", b'{"schema_version": 1, "files": {"x": "', b"A" * (1 << 20), 250, b'"}}'
    )
    write_zip(p("json-bomb-manifest"), [mb] + [deflated(n, b) for n, b in m.items() if n != "manifest.json"])
    add(
        "json-bomb-manifest",
        p("json-bomb-manifest"),
        "refused",
        "manifest.json",
        "manifest.json expanding to 250 MB",
    )
    fat = dataclasses.replace(stored("report.json", b"{}" * 8), file_size=80 << 20, compress_size=80 << 20)
    write_zip(p("report-too-large"), [stored("manifest.json", m["manifest.json"]), fat])
    add("report-too-large", p("report-too-large"), "refused", "report.json", "report.json declaring 80 MB")
    deep = json.dumps({**rep, "probe": None}).replace(
        '"probe": null', '"probe": ' + "[" * 100_000 + "]" * 100_000
    )
    write_zip(p("json-depth-report"), _entries(_with_report(m, base, deep.encode())))
    add(
        "json-depth-report",
        p("json-depth-report"),
        "refused",
        "deep",
        "report.json nested 100,000 levels deep",
    )
    deep_m = b'{"schema_version": 1, "files": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    write_zip(
        p("json-depth-manifest"),
        [stored("manifest.json", deep_m)] + [deflated(n, b) for n, b in m.items() if n != "manifest.json"],
    )
    add(
        "json-depth-manifest",
        p("json-depth-manifest"),
        "refused",
        "deep",
        "manifest.json nested 50,000 levels deep",
    )
    wide = json.dumps({**rep, "probe": {"x": list(range(1_500_000))}}).encode()
    write_zip(p("json-wide-report"), _entries(_with_report(m, base, wide)))
    add(
        "json-wide-report",
        p("json-wide-report"),
        "refused",
        "values",
        "report.json holding 1.5 million numbers",
    )
    nan = json.dumps({**rep, "keyframes": [{"time": float("nan"), "index": 0}]}).encode()
    write_zip(p("json-nan"), _entries(_with_report(m, base, nan)))
    add("json-nan", p("json-nan"), "refused", "nan", "a keyframe time of NaN (not JSON)")

    # duplicates and lies
    other = json.dumps({**rep, "notes": {"verdict": "verified", "summary": "planted"}}).encode()
    write_zip(p("duplicate-report"), [*_entries(m), deflated("report.json", other)])
    add("duplicate-report", p("duplicate-report"), "refused", "appears 2 times",
        "two report.json members: the checker may hash one while the reader shows the other")  # fmt: skip
    forged = manifest_for(m, base).replace(
        b'"schema_version": 1', b'"schema_version": 1, "case_id": "forged"'
    )
    write_zip(p("duplicate-manifest"), [stored("manifest.json", forged), *_entries(m)])
    add(
        "duplicate-manifest",
        p("duplicate-manifest"),
        "refused",
        "appears 2 times",
        "two manifest.json members",
    )
    lie = json.loads(m["manifest.json"])
    lie["files"][pic]["size"] += 1000
    write_zip(p("manifest-size-lies"), _entries({**m, "manifest.json": json.dumps(lie).encode()}))
    add(
        "manifest-size-lies",
        p("manifest-size-lies"),
        "refused",
        "the manifest says",
        "a manifest size that is not the member's",
    )
    lie = json.loads(m["manifest.json"])
    lie["files"][pic]["sha256"] = "0" * 64
    write_zip(p("manifest-hash-lies"), _entries({**m, "manifest.json": json.dumps(lie).encode()}))
    add(
        "manifest-hash-lies",
        p("manifest-hash-lies"),
        "refused",
        "changed",
        "a manifest sha256 that is not the member's",
    )
    cd_lie = [
        e if e.name != pic else dataclasses.replace(stored(pic, m[pic]), cd_file_size=100)
        for e in _entries(m)
    ]
    write_zip(p("header-size-lies"), cd_lie)
    add(
        "header-size-lies",
        p("header-size-lies"),
        "refused",
        pic,
        "a central directory size of 100 bytes for a bigger picture",
    )
    crc_lie = [
        e if e.name != pic else dataclasses.replace(stored(pic, m[pic]), crc=1234) for e in _entries(m)
    ]
    write_zip(p("crc-lies"), crc_lie)
    add("crc-lies", p("crc-lies"), "refused", pic, "a member whose CRC does not match its bytes")
    bad_deflate = [
        e if e.name != pic else dataclasses.replace(deflated(pic, m[pic]), payload=b"\xff" * 64)
        for e in _entries(m)
    ]
    write_zip(p("damaged-deflate"), bad_deflate)
    add("damaged-deflate", p("damaged-deflate"), "refused", pic, "a member whose compressed data is garbage")

    # schemas from the future
    future = json.loads(m["manifest.json"])
    future["schema_version"] = 99
    write_zip(p("future-manifest"), _entries({**m, "manifest.json": json.dumps(future).encode()}))
    add("future-manifest", p("future-manifest"), "refused", "newer", "a manifest of schema v99")
    write_zip(
        p("future-report"),
        _entries(_with_report(m, base, json.dumps({**rep, "schema_version": 99}).encode())),
    )
    add("future-report", p("future-report"), "refused", "newer", "a report of schema v99")

    # the original is not the file the report is about
    swapped = {**mo, orig: b"a different file entirely\n" * 40}
    swapped["manifest.json"] = manifest_for(swapped, base_o, original=orig)
    write_zip(p("original-mismatch"), _entries(swapped))
    add("original-mismatch", p("original-mismatch"), "refused", "sha256",
        "an included original whose sha256 is not the report's (manifest rewritten to agree)")  # fmt: skip
    half = {**mo, orig: b"a different file entirely\n" * 40}
    hm = json.loads(manifest_for(half, base_o))
    hm["original"] = base_o["original"]
    half["manifest.json"] = json.dumps(hm).encode()
    write_zip(p("original-swapped"), _entries(half))
    add(
        "original-swapped",
        p("original-swapped"),
        "refused",
        "original",
        "an included original replaced, its manifest entry updated",
    )
    two = {**mo, "original/second.mp4": b"another"}
    two["manifest.json"] = manifest_for(two, base_o, original=orig)
    write_zip(p("two-originals"), _entries(two))
    add("two-originals", p("two-originals"), "refused", "original", "two originals in one case")

    # malformed manifests and reports (each with a manifest that agrees, so only the shape is wrong)
    for name, manifest, why in (
        ("manifest-not-object", b"[1, 2, 3]", "a manifest that is a list"),
        ("manifest-files-list", json.dumps({**base, "files": ["report.json"]}).encode(), "'files' as a list"),
        (
            "manifest-entry-text",
            json.dumps({**base, "files": {"report.json": "ok"}}).encode(),
            "an entry that is text",
        ),
        (
            "manifest-size-text",
            json.dumps({**base, "files": {"report.json": {"sha256": "0" * 64, "size": "1"}}}).encode(),
            "a size that is text",
        ),
        (
            "manifest-no-original",
            json.dumps({k: v for k, v in base.items() if k != "original"}).encode(),
            "no original record",
        ),
        ("manifest-not-utf8", b'{"schema_version": 1, "files": {"\xff": 1}}', "bytes that are not UTF-8"),
        ("manifest-not-json", b"schema_version = 1", "text that is not JSON"),
    ):
        write_zip(p(name), _entries({**m, "manifest.json": manifest}))
        add(name, p(name), "refused", "manifest", f"manifest.json: {why}")
    f = rep["file"]
    for name, record, why in (
        ("report-list", [1, 2], "a report that is a list"),
        ("report-file-text", {**rep, "file": "clip.mp4"}, "'file' as text"),
        ("report-size-text", {**rep, "file": {**f, "size": "huge"}}, "a size that is text"),
        ("report-name-list", {**rep, "file": {**f, "name": ["a", "b"]}}, "a file name that is a list"),
        ("report-keyframes-object", {**rep, "keyframes": {"a": 1}}, "keyframes as an object"),
        ("report-keyframe-text", {**rep, "keyframes": ["x", "y"]}, "keyframes that are text"),
        (
            "report-notes-bad",
            {**rep, "notes": {"checks": ["x"], "verdict": "perhaps"}},
            "notes of the wrong shape",
        ),
        ("report-custody-text", {**rep, "custody": "none"}, "custody as text"),
        ("report-custody-items", {**rep, "custody": [1, 2, 3]}, "custody entries that are numbers"),
        (
            "report-matches-bad",
            {**rep, "matches": [{"reference": "x", "evidence": 7}]},
            "a match of the wrong shape",
        ),
        (
            "report-images-bad",
            {**rep, "images": {"a": "!!!not base64"}},
            "embedded pictures that are not base64",
        ),
    ):
        write_zip(p(name), _entries(_with_report(m, base, json.dumps(record).encode())))
        add(name, p(name), "refused", "report", f"report.json: {why}")
    huge_number = json.dumps({**rep, "file": {**f, "size": 0}}).replace('"size": 0', '"size": ' + "9" * 5000)
    write_zip(p("report-huge-number"), _entries(_with_report(m, base, huge_number.encode())))
    add(
        "report-huge-number",
        p("report-huge-number"),
        "refused",
        "report",
        "report.json: a 5,000-digit number",
    )
    write_zip(p("report-not-utf8"), _entries(_with_report(m, base, b'{"file": {"name": "\xff\xfe"}}')))
    add("report-not-utf8", p("report-not-utf8"), "refused", "report", "report.json: bytes that are not UTF-8")
    no_report = {k: v for k, v in m.items() if k != "report.json"}
    no_report["manifest.json"] = manifest_for(no_report, base)
    write_zip(p("no-report"), _entries(no_report))
    add("no-report", p("no-report"), "refused", "report.json", "a case without report.json")

    # hostile strings in a well-formed case: opened, every string shown as visible text
    evil = "".join(HOSTILE_STRINGS)
    hostile = dataclasses.replace(
        report, case_id=f"VER{evil}", file=dataclasses.replace(report.file, name=f"{evil}clip.mp4"),
        custody=report.custody.copy(),
    )  # fmt: skip
    hostile.log(f"step{evil}", f"detail{evil}")
    save_case(hostile, p("hostile-strings"), original=src)
    add(
        "hostile-strings",
        p("hostile-strings"),
        "safe",
        "",
        "terminal escapes, bidi overrides and markup in the report's fields",
    )
    rng = np.random.default_rng(8)
    long_name = rng.integers(97, 123, 50_000_000, dtype=np.uint8).tobytes().decode("ascii") + "\x1b[2J.mp4"
    blob = json.dumps({**json.loads(m["report.json"]), "file": {**rep["file"], "name": long_name}}).encode()
    members = {**m, "report.json": blob}
    members["manifest.json"] = manifest_for(members, base)
    write_zip(p("name-50mb"), [stored(n, b) for n, b in members.items()])
    add("name-50mb", p("name-50mb"), "safe", "", "a 50 MB file name (must be cut when shown)")

    # not a case file at all
    (folder / "random.verify.zip").write_bytes(
        np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    )
    add("not-a-zip", folder / "random.verify.zip", "refused", "zip", "4 KB of random bytes")
    (folder / "empty-file.verify.zip").write_bytes(b"")
    add("empty-file", folder / "empty-file.verify.zip", "refused", "zip", "a 0-byte file")
    write_zip(p("empty-zip"), [])
    add("empty-zip", p("empty-zip"), "refused", "manifest", "a zip with no members")
    write_zip(p("truncated"), _entries(m), keep=0.6)
    add("truncated", p("truncated"), "refused", "zip", "a case file cut at 60%")
    write_zip(p("truncated-tail"), _entries(m), keep=30)
    add("truncated-tail", p("truncated-tail"), "refused", "zip", "a case file missing its last 30 bytes")
    return cases


def _entries(members: dict[str, bytes]) -> list[Entry]:
    return [deflated(n, b) for n, b in members.items()]


def attack_problems(case: HostileCase, command: str, run: Any) -> list[str]:
    """What is wrong with how ``verify case COMMAND`` (``run``: a ``tests.runner.Run``) treated
    ``case``; empty when it was refused with one ``error:`` line naming ``case.reason``, or
    opened with every string shown as visible text, within :data:`MAX_MB`."""
    shown = f"{case.name}: exit {run.code}, {run.peak_mb:.0f} MB, stderr {run.stderr[:300]!r}"
    if run.hung or run.traceback or run.peak_mb >= MAX_MB:
        return [f"{shown}: hung, traceback, or over {MAX_MB} MB"]
    problems = []
    if any(c in run.stdout + run.stderr for c in RAW_CONTROLS):
        problems.append(f"{shown}: raw control characters in the output")
    if case.expect == "refused":
        lines = run.err_lines
        if run.code != 2 or len(lines) != 1 or not lines[0].startswith("error: "):
            problems.append(f"{shown}: not refused with one error line")
        elif case.reason.lower() not in lines[0].lower():
            problems.append(f"{shown}: the error does not name {case.reason!r}")
    elif run.code != 0 or len(run.stdout) > 20_000:
        problems.append(f"{shown}: not opened, or its output is not bounded ({len(run.stdout):,} bytes)")
    elif case.expect == "safe" and command == "open":
        text = run.stdout.decode()
        if "^[" not in text and "truncated" not in text:
            problems.append(f"{shown}: the hostile strings are not shown visibly")
    return problems


__all__ = [
    "HOSTILE_STRINGS",
    "MAX_MB",
    "RAW_CONTROLS",
    "Entry",
    "HostileCase",
    "attack_problems",
    "build_all",
    "write_zip",
]
