"""Reading an untrusted zip within limits: the directory is checked before any member is read.

A case file comes from anywhere, so its zip structure is hostile until proven otherwise:

* :func:`directory_size` reads the end-of-archive record (zip64 too) and refuses a central
  directory larger than :data:`MAX_DIRECTORY_BYTES` *before* ``zipfile`` parses it;
* :func:`check_limits` refuses, from the central directory alone, too many members, a member
  or a total over its size limit, and members that decompress more than :data:`MAX_RATIO`
  times their stored size (zip bombs);
* :func:`member_problem` names members that are never read at all: unsafe names (``..``,
  absolute, backslashes, control characters), symbolic links, encryption, compression methods
  verify does not write;
* :func:`read_member` / :func:`digest_member` stream a member with a hard byte cap: sizes in
  zip headers can lie, so a member is cut off at ``cap + 1`` bytes whatever its header says.

Every failure is a :class:`~verify.errors.CaseIntegrityError` (limits:
:class:`~verify.errors.CaseLimitError`) naming the member.
"""

from __future__ import annotations

import hashlib
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from ..errors import CaseIntegrityError, CaseLimitError
from ..text import safe_text

#: Members in one case file (a case holds a report, a manifest, ~60 pictures, an original).
MAX_MEMBERS = 1000
#: Bytes of the central directory (names included) parsed at all.
MAX_DIRECTORY_BYTES = 1 << 20
#: Largest manifest.json, report.json and picture, uncompressed.
MAX_MANIFEST_BYTES = 4 << 20
MAX_REPORT_BYTES = 64 << 20
MAX_PICTURE_BYTES = 32 << 20
#: All members but the original, uncompressed.
MAX_TOTAL_BYTES = 256 << 20
#: A member above ``RATIO_FLOOR`` bytes may expand at most this many times its stored size.
MAX_RATIO = 100
RATIO_FLOOR = 1 << 20
#: Longest member name.
MAX_NAME = 512
#: Compression methods verify writes (and reads).
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}

# what a damaged member raises inside zipfile/zlib (CRC mismatch, truncated or invalid data)
DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error, NotImplementedError)

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")


def shown(name: str) -> str:
    """A member name as it may appear in a message (visible, bounded)."""
    return safe_text(repr(name), limit=120)


def directory_size(path: Path) -> tuple[int, int]:
    """(entries, bytes) the end-of-archive record declares for the central directory."""
    size = path.stat().st_size
    tail_len = min(size, _EOCD.size + 0xFFFF)
    with open(path, "rb") as fh:
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _EOCD.size:
            raise CaseIntegrityError("not a zip archive (no end-of-archive record)", path=path,
                                     hint="It is damaged, cut short, or not a .verify.zip.")  # fmt: skip
        _, _, _, _, entries, cd_bytes, _, _ = _EOCD.unpack_from(tail, at)
        if (entries == 0xFFFF or cd_bytes == 0xFFFFFFFF) and at >= _ZIP64_LOCATOR.size:
            sig, _, offset, _ = _ZIP64_LOCATOR.unpack_from(tail, at - _ZIP64_LOCATOR.size)
            if sig == b"PK\x06\x07" and 0 <= offset <= size - _ZIP64_EOCD.size:
                fh.seek(offset)
                record = fh.read(_ZIP64_EOCD.size)
                if record[:4] == b"PK\x06\x06":
                    fields = _ZIP64_EOCD.unpack(record)
                    entries, cd_bytes = fields[7], fields[8]
    return entries, cd_bytes


def open_zip(path: Path) -> zipfile.ZipFile:
    """``zipfile.ZipFile`` of a case file, after the directory size was checked."""
    if not path.is_file():
        raise CaseIntegrityError("no such case file", path=path, hint="Check the path.")
    try:
        entries, cd_bytes = directory_size(path)
    except OSError as exc:
        raise CaseIntegrityError(
            f"cannot be read ({exc.strerror or exc})", path=path, hint="Check the path."
        ) from exc
    if entries > MAX_MEMBERS or cd_bytes > MAX_DIRECTORY_BYTES:
        raise CaseLimitError(
            f"its directory lists {entries:,} members in {cd_bytes:,} bytes "
            f"(a case file holds at most {MAX_MEMBERS:,} in {MAX_DIRECTORY_BYTES:,})",
            path=path,
        )
    try:
        return zipfile.ZipFile(path)
    except (*DAMAGE, RuntimeError) as exc:
        raise CaseIntegrityError(
            f"not a readable zip archive ({safe_text(exc, limit=200)})",
            path=path,
            hint="It is damaged, cut short, or not a .verify.zip.",
        ) from exc


def safe_name(name: str) -> bool:
    """A relative POSIX path of printable characters, no ``..``, no backslash, not too long."""
    if not name or len(name) > MAX_NAME or not name.isprintable() or "\\" in name:
        return False
    p = PurePosixPath(name)
    parts = name.rstrip("/").split("/")
    return not p.is_absolute() and ":" not in parts[0] and all(part not in ("", ".", "..") for part in parts)


def member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a member must never be read, or None."""
    if not safe_name(info.filename):
        return f"unsafe member name {shown(info.filename)}"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"member {shown(info.filename)} is a symbolic link"
    if info.flag_bits & 0x1:
        return f"member {shown(info.filename)} is encrypted"
    if info.compress_type not in METHODS:
        return f"member {shown(info.filename)} uses compression method {info.compress_type} (verify writes stored or deflated)"
    return None


def cap_for(name: str) -> int:
    """Largest uncompressed size allowed for a member that is read into memory."""
    if name == "manifest.json":
        return MAX_MANIFEST_BYTES
    if name == "report.json":
        return MAX_REPORT_BYTES
    return MAX_PICTURE_BYTES


def check_limits(infos: list[zipfile.ZipInfo], path: Path, *, original_prefix: str = "original/") -> None:
    """Refuse the archive from its central directory alone (nothing has been read yet)."""
    if len(infos) > MAX_MEMBERS:
        raise CaseLimitError(f"it holds {len(infos):,} members (at most {MAX_MEMBERS:,})", path=path)
    total = 0
    for info in infos:
        declared, stored = info.file_size, info.compress_size
        if declared > RATIO_FLOOR and declared > MAX_RATIO * max(stored, 1):
            raise CaseLimitError(
                f"member {shown(info.filename)} would expand from {stored:,} to {declared:,} bytes "
                f"(more than {MAX_RATIO}x: a zip bomb)",
                path=path,
            )
        if info.filename.startswith(original_prefix):
            continue
        if declared > cap_for(info.filename):
            raise CaseLimitError(
                f"member {shown(info.filename)} is {declared:,} bytes (at most {cap_for(info.filename):,})",
                path=path,
            )
        total += declared
    if total > MAX_TOTAL_BYTES:
        raise CaseLimitError(
            f"its members add up to {total:,} bytes (at most {MAX_TOTAL_BYTES:,})", path=path
        )


def _blocks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, path: Path) -> Iterator[bytes]:
    done = 0
    try:
        with zf.open(info) as fh:
            while True:
                block = fh.read(min(1 << 20, cap + 1 - done))
                if not block:
                    return
                done += len(block)
                if done > cap:
                    raise CaseLimitError(
                        f"member {shown(info.filename)} holds more than {cap:,} bytes "
                        f"(its header said {info.file_size:,})",
                        path=path,
                    )
                yield block
    except DAMAGE as exc:
        raise CaseIntegrityError(
            f"member {shown(info.filename)} is damaged ({safe_text(exc, limit=200)})", path=path
        ) from exc


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, path: Path) -> bytes:
    """The member's bytes, refused past ``cap`` whatever its header claims."""
    return b"".join(_blocks(zf, info, cap, path))


def digest_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, path: Path) -> tuple[str, int]:
    """(sha256, size) of a member, streamed, refused past ``cap`` bytes."""
    h = hashlib.sha256()
    size = 0
    for block in _blocks(zf, info, cap, path):
        h.update(block)
        size += len(block)
    return h.hexdigest(), size


__all__ = [
    "MAX_DIRECTORY_BYTES",
    "MAX_MANIFEST_BYTES",
    "MAX_MEMBERS",
    "MAX_PICTURE_BYTES",
    "MAX_RATIO",
    "MAX_REPORT_BYTES",
    "MAX_TOTAL_BYTES",
    "cap_for",
    "check_limits",
    "digest_member",
    "member_problem",
    "open_zip",
    "read_member",
    "safe_name",
]
