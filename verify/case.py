"""Case files: one ``.verify.zip`` holding a report, its pictures and a manifest of sha256 sums.

Layout::

    manifest.json         {"schema_version", "case_id", "saved_at", "files": {name: {"sha256", "size"}},
                           "original": {"name", "sha256", "size", "included"}}
    report.json           the Report record (pictures by name + sha256)
    images/…              keyframes and evidence frame pairs (JPEG)
    original/<name>       the examined file, only with include_original=True

The original is always referenced by its sha256 (``report.file``). ``check_case``
re-hashes every member and names what changed, went missing or was added. The
manifest proves integrity against accidents and casual edits, not authorship:
whoever can rewrite the zip can rewrite the manifest too (keep the case file's
own sha256, printed by ``verify case save``, somewhere else).

Opening never extracts to disk: member names with ``..``, absolute paths or
backslashes are refused (zip-slip), and sizes are bounded.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .digest import sha256_file
from .errors import CaseIntegrityError, ReportError
from .notes import utc_now
from .report.model import Report
from .text import plural

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
REPORT = "report.json"
#: Largest member read into memory (report, pictures); the original is only hashed, streamed.
MAX_MEMBER = 256 * 1024 * 1024


@dataclass(frozen=True)
class CaseCheck:
    """Result of :func:`check_case`: ``ok`` only when every member matches the manifest."""

    ok: bool
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def describe(self) -> str:
        if self.ok:
            return "ok: every file matches the manifest"
        parts = [f"changed: {', '.join(self.changed)}"] if self.changed else []
        parts += [f"missing: {', '.join(self.missing)}"] if self.missing else []
        parts += [f"not in the manifest: {', '.join(self.extra)}"] if self.extra else []
        return "; ".join(parts + self.problems)


@dataclass(frozen=True)
class Case:
    """An opened case file."""

    path: Path
    report: Report
    manifest: dict[str, Any]
    check: CaseCheck
    original: str | None = None  # member name of the included original, if any

    def summary(self) -> str:
        r = self.report
        lines = [
            f"case {r.case_id}: {r.file.name} ({r.file.size:,} bytes)",
            f"sha256 {r.file.sha256}",
            f"verdict {r.notes.verdict}; {plural(len(r.keyframes), 'keyframe')}; "
            f"{plural(len(r.matches), 'match', 'matches')}",
            f"original {'included' if self.original else 'referenced by hash only'}",
            f"integrity {self.check.describe()}",
            f"custody: {plural(len(r.custody), 'step')}, last: "
            + (f"{r.custody.entries[-1].step} at {r.custody.entries[-1].at}" if len(r.custody) else "none"),
        ]
        return "\n".join(lines)


def _safe_member(name: str) -> bool:
    p = PurePosixPath(name)
    return (
        bool(name) and not p.is_absolute() and ".." not in p.parts and "\\" not in name and "\x00" not in name
    )


def save_case(
    report: Report,
    path: str | Path,
    *,
    include_original: bool = False,
    images: bool = True,
    original: str | Path | None = None,
) -> Path:
    """Write ``report`` as one ``.verify.zip`` at ``path`` (atomically) and return the path.

    ``include_original`` copies the examined file in (from ``original`` or
    ``report.file.path``) after checking its sha256 against the report.
    """
    out = Path(path)
    if not out.name.endswith(".zip"):
        out = out.with_name(out.name + ".verify.zip")
    members: dict[str, bytes] = {}
    if images:
        for ref in report.image_refs():
            if ref.name in report.images:
                if not _safe_member(ref.name):
                    raise ReportError(f"picture name {ref.name!r} is not a safe archive path")
                members[ref.name] = report.images[ref.name]
    orig_src: Path | None = None
    orig_member = None
    if include_original:
        orig_src = Path(original or report.file.path)
        if not orig_src.is_file():
            raise ReportError(
                "the original file is not there to include",
                path=orig_src,
                hint="Pass the file's path, or save without --include-original.",
            )
        if sha256_file(orig_src) != report.file.sha256:
            raise CaseIntegrityError(
                "differs from the file the report examined (sha256)",
                path=orig_src,
                hint="Include the very file that was examined.",
            )
        orig_member = f"original/{_plain(report.file.name)}"
    report.log("case saved", f"{out.name}; original {'included' if orig_member else 'referenced by sha256'}")
    members[REPORT] = report.to_json().encode("utf-8")
    files = {n: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for n, b in members.items()}
    if orig_src is not None and orig_member is not None:
        files[orig_member] = {"sha256": report.file.sha256, "size": orig_src.stat().st_size}
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "case_id": report.case_id,
        "saved_at": utc_now(),
        "files": files,
        "original": {
            "name": report.file.name,
            "sha256": report.file.sha256,
            "size": report.file.size,
            "included": orig_member is not None,
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".case-", suffix=".zip", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
            for name, data in members.items():
                zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if name.endswith(".jpg") else None)
            if orig_src is not None and orig_member is not None:
                zf.write(orig_src, orig_member, compress_type=zipfile.ZIP_STORED)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def _plain(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "original"
    return "".join(ch if ch.isprintable() else "_" for ch in base).lstrip(".") or "original"


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise CaseIntegrityError("no such case file", path=path, hint="Check the path.")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CaseIntegrityError(
            f"not a readable case file ({exc})", path=path, hint="It is damaged or not a .verify.zip."
        ) from exc


def _read(zf: zipfile.ZipFile, name: str, path: Path) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > MAX_MEMBER:
        raise CaseIntegrityError(f"member {name} is too large ({info.file_size:,} bytes)", path=path)
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:  # CRC error, truncated data
        raise CaseIntegrityError(f"member {name} is damaged ({exc})", path=path) from exc


def _digest(zf: zipfile.ZipFile, name: str) -> str | None:
    h = hashlib.sha256()
    try:
        with zf.open(name) as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    except (zipfile.BadZipFile, OSError, ValueError):  # CRC mismatch: the bytes changed
        return None
    return h.hexdigest()


def _check(zf: zipfile.ZipFile, path: Path) -> tuple[CaseCheck, dict[str, Any]]:
    names = [i.filename for i in zf.infolist() if not i.is_dir()]
    unsafe = [n for n in names if not _safe_member(n)]
    if MANIFEST not in names:
        return CaseCheck(False, missing=[MANIFEST], problems=["no manifest: not a verify case file"]), {}
    try:
        manifest = json.loads(_read(zf, MANIFEST, path))
        files: dict[str, Any] = manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        return CaseCheck(False, changed=[MANIFEST], problems=[f"manifest unreadable ({exc})"]), {}
    changed = [n for n, meta in files.items() if n in names and _digest(zf, n) != meta.get("sha256")]
    missing = [n for n in files if n not in names]
    extra = [n for n in names if n not in files and n != MANIFEST]
    problems = [f"unsafe member name {n!r}" for n in unsafe]
    ok = not (changed or missing or extra or problems)
    return CaseCheck(ok, sorted(changed), sorted(missing), sorted(extra), problems), manifest


def check_case(path: str | Path) -> CaseCheck:
    """Re-hash every member of a case file against its manifest."""
    p = Path(path)
    with _open_zip(p) as zf:
        return _check(zf, p)[0]


def open_case(path: str | Path, *, strict: bool = True) -> Case:
    """Open a case file: its report with pictures. ``strict`` refuses one that fails :func:`check_case`."""
    p = Path(path)
    with _open_zip(p) as zf:
        check, manifest = _check(zf, p)
        if strict and not check.ok:
            raise CaseIntegrityError(check.describe(), path=p)
        names = {i.filename for i in zf.infolist() if not i.is_dir() and _safe_member(i.filename)}
        if REPORT not in names:
            raise CaseIntegrityError("has no report.json", path=p)
        wanted = sorted(n for n in names if n.startswith("images/"))
        total = sum(zf.getinfo(n).file_size for n in wanted)
        if total > MAX_MEMBER:
            raise CaseIntegrityError(
                f"its pictures add up to {total:,} bytes, more than a case holds", path=p
            )
        pictures = {n: _read(zf, n, p) for n in wanted}
        report = Report.from_json(_read(zf, REPORT, p).decode("utf-8"), images=pictures)
        original = next((n for n in sorted(names) if n.startswith("original/")), None)
    report.log("case opened", f"{p.name}: {check.describe()}")
    return Case(p, report, manifest, check, original)
