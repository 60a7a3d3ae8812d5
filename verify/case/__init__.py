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

A case file from elsewhere is hostile until checked (:mod:`.archive`): its zip directory is
checked against limits before anything is read (members, sizes, compression ratio), every
member is read with a hard byte cap whatever its header claims, JSON is parsed under size,
depth and count limits (:mod:`verify.safejson`) and the report is type-checked
(:mod:`.shape`). Integrity failures (``check.ok`` False): a member changed, missing or added;
a member name listed twice; a size that differs from the manifest; unsafe names, links,
encryption; a manifest or report schema newer than this verify; an original whose sha256 is
not the report's. Opening never extracts to disk.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import safejson
from ..digest import sha256_file
from ..errors import CaseIntegrityError, CaseLimitError, InputLimitError, ReportError, VerifyError
from ..notes import utc_now
from ..report.model import SCHEMA_VERSION as REPORT_SCHEMA_VERSION
from ..report.model import Report
from ..text import json_text, safe_text
from . import archive
from .archive import MAX_PICTURE_BYTES, MAX_REPORT_BYTES, MAX_TOTAL_BYTES, safe_name, shown
from .shape import record_problem

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
REPORT = "report.json"
ORIGINAL = "original/"
#: Largest picture read into memory (kept for callers of the old name).
MAX_MEMBER = MAX_PICTURE_BYTES
#: Names listed in a message before "and N more".
LISTED = 10

_SHA256 = re.compile(r"[0-9a-f]{64}")


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
        """One line, safe to print: every name in it is made visible and bounded."""
        if self.ok:
            return "ok: every file matches the manifest"

        def names(items: list[str]) -> str:
            shown_ = ", ".join(safe_text(n, limit=120) for n in items[:LISTED])
            return shown_ + (f" and {len(items) - LISTED} more" if len(items) > LISTED else "")

        parts = [f"changed: {names(self.changed)}"] if self.changed else []
        parts += [f"missing: {names(self.missing)}"] if self.missing else []
        parts += [f"not in the manifest: {names(self.extra)}"] if self.extra else []
        parts += [safe_text(p, limit=300) for p in self.problems[:LISTED]]
        if len(self.problems) > LISTED:
            parts.append(f"and {len(self.problems) - LISTED} more problems")
        return "; ".join(parts)


@dataclass(frozen=True)
class Case:
    """An opened case file."""

    path: Path
    report: Report
    manifest: dict[str, Any]
    check: CaseCheck
    original: str | None = None  # member name of the included original, if any

    def summary(self) -> str:
        """A few lines about the case, safe to print (every string is untrusted)."""
        r = self.report

        def t(value: object, limit: int = 200) -> str:
            return safe_text(value, limit=limit)

        last = r.custody.entries[-1] if len(r.custody) else None
        lines = [
            f"case {t(r.case_id, 80)}: {t(r.file.name)} ({r.file.size:,} bytes)",
            f"sha256 {t(r.file.sha256, 80)}",
            f"verdict {t(r.notes.verdict, 20)}; {len(r.keyframes)} keyframes; {len(r.matches)} match(es)",
            f"original {'included' if self.original else 'referenced by hash only'}",
            f"integrity {self.check.describe()}",
            f"custody: {len(r.custody)} steps, last: "
            + (f"{t(last.step, 80)} at {t(last.at, 40)}" if last is not None else "none"),
        ]
        return "\n".join(lines)


# -- saving --------------------------------------------------------------------------------


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
    ``report.file.path``) after checking its sha256 against the report. ``path`` must be a
    plain file (or not exist yet): links, devices and FIFOs are refused.
    """
    from ..export import paths

    given = paths.check_output(path)
    out = given if given.name.endswith(".zip") else given.with_name(given.name + ".verify.zip")
    out = paths.check_output(out)
    members: dict[str, bytes] = {}
    if images:
        for ref in report.image_refs():
            if ref.name in report.images:
                if not safe_name(ref.name) or ref.name.startswith(ORIGINAL) or ref.name in (MANIFEST, REPORT):
                    raise ReportError(f"picture name {shown(ref.name)} is not a safe archive path")
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
        orig_member = f"{ORIGINAL}{_plain(report.file.name)}"
    report.log("case saved", f"{out.name}; original {'included' if orig_member else 'referenced by sha256'}")
    members[REPORT] = json_text(report.to_dict(), indent=2).encode("utf-8")
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
    # owner-only, as before: a case may hold the original, and the original may expose a source
    with (
        paths.atomic(out, mode=0o600) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf,
    ):
        zf.writestr(MANIFEST, json_text(manifest, indent=2))
        for name, data in members.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if name.endswith(".jpg") else None)
        if orig_src is not None and orig_member is not None:
            zf.write(orig_src, orig_member, compress_type=zipfile.ZIP_STORED)
    return out


def _plain(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "original"
    base = "".join(ch if ch.isprintable() else "_" for ch in base).lstrip(".")[:200]
    return base.replace(":", "_") or "original"


# -- checking ------------------------------------------------------------------------------


@dataclass
class _Read:
    """What checking found out, for opening."""

    manifest: dict[str, Any] = field(default_factory=dict)
    report: Report | None = None
    report_problem: str = ""
    pictures: dict[str, bytes] = field(default_factory=dict)
    original: str | None = None


def _why(exc: Exception) -> str:
    """The reason of an exception, for inside a problem sentence (no hint, visible, bounded)."""
    return safe_text(exc.message if isinstance(exc, VerifyError) else str(exc), limit=200)


def _json(data: bytes, what: str, limit: int) -> Any:
    return safejson.loads(data, what=what, max_bytes=limit)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _manifest_problems(m: Any) -> list[str]:
    """What makes a manifest unusable (checked before any member is trusted by it)."""
    if not isinstance(m, dict):
        return [f"{MANIFEST} is a JSON {type(m).__name__}, not an object"]
    version = m.get("schema_version")
    if not isinstance(version, int) or not _is_count(version) or version < 1:
        return [f"{MANIFEST} has no valid schema_version ({safe_text(repr(version), limit=40)})"]
    if version > SCHEMA_VERSION:
        return [
            f"{MANIFEST} is schema v{version}, newer than this verify reads (v{SCHEMA_VERSION}): upgrade verify"
        ]
    files = m.get("files")
    if not isinstance(files, dict):
        return [f"{MANIFEST} has no 'files' object"]
    for name, meta in files.items():
        if not (
            isinstance(meta, dict) and isinstance(meta.get("sha256"), str) and _is_count(meta.get("size"))
        ):
            return [f"{MANIFEST} entry {shown(name)} is not {{sha256, size}}"]
        if not _SHA256.fullmatch(meta["sha256"]):
            return [f"{MANIFEST} entry {shown(name)} has no valid sha256"]
    orig = m.get("original")
    if not (
        isinstance(orig, dict)
        and isinstance(orig.get("name"), str)
        and isinstance(orig.get("sha256"), str)
        and _SHA256.fullmatch(orig["sha256"])
        and _is_count(orig.get("size"))
        and isinstance(orig.get("included"), bool)
    ):
        return [f"{MANIFEST} has no valid 'original' record (name, sha256, size, included)"]
    if not isinstance(m.get("case_id", ""), str):
        return [f"{MANIFEST} case_id is not text"]
    return []


def _report_problems(data: Any, manifest: dict[str, Any]) -> list[str]:
    if not isinstance(data, dict) or not isinstance(data.get("file"), dict):
        return [f"{REPORT} is not a verify report (no 'file' record)"]
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or not _is_count(version):
        return [f"{REPORT} has no valid schema_version"]
    if version > REPORT_SCHEMA_VERSION:
        return [
            f"{REPORT} is schema v{version}, newer than this verify reads (v{REPORT_SCHEMA_VERSION}): upgrade verify"
        ]
    sha = data["file"].get("sha256")
    if sha != manifest["original"]["sha256"]:
        return [f"{REPORT} examined another file (sha256 {safe_text(sha, limit=70)}) than the manifest names"]
    return []


def _check(zf: zipfile.ZipFile, path: Path, *, keep: bool = False) -> tuple[CaseCheck, _Read]:
    infos = zf.infolist()
    archive.check_limits(infos, path, original_prefix=ORIGINAL)  # raises: nothing read yet
    read = _Read()
    problems: list[str] = []
    counts: dict[str, int] = {}
    for info in infos:
        counts[info.filename] = counts.get(info.filename, 0) + 1
    dupes = {n for n, c in counts.items() if c > 1}
    problems += [f"{shown(n)} appears {counts[n]} times in the archive" for n in sorted(dupes)]
    bad: set[str] = set(dupes)
    for info in infos:
        why = archive.member_problem(info)
        if why:
            problems.append(why)
            bad.add(info.filename)
    usable = {i.filename: i for i in infos if i.filename not in bad and not i.is_dir()}
    names = [i.filename for i in infos if not i.is_dir()]

    def failed(
        *more: str, changed: tuple[str, ...] = (), missing: tuple[str, ...] = ()
    ) -> tuple[CaseCheck, _Read]:
        return CaseCheck(False, sorted(changed), sorted(missing), [], problems + list(more)), read

    if MANIFEST not in usable:
        if MANIFEST in bad:
            return failed()
        return failed("no manifest: not a verify case file", missing=(MANIFEST,))
    try:
        manifest = _json(archive.read_member(zf, usable[MANIFEST], archive.MAX_MANIFEST_BYTES, path), MANIFEST,
                         archive.MAX_MANIFEST_BYTES)  # fmt: skip
    except CaseLimitError:
        raise
    except CaseIntegrityError as exc:
        return failed(exc.message, changed=(MANIFEST,))
    except (InputLimitError, ValueError) as exc:
        return failed(f"{MANIFEST} is unreadable ({_why(exc)})")
    wrong = _manifest_problems(manifest)
    if wrong:
        return failed(*wrong)
    read.manifest = manifest
    files: dict[str, dict[str, Any]] = manifest["files"]
    orig = manifest["original"]
    changed: list[str] = []
    missing = [n for n in files if n not in counts]
    extra = [n for n in names if n not in files and n != MANIFEST and n not in bad]
    report_bytes: bytes | None = None
    for name, meta in files.items():
        if name not in usable:
            continue  # missing, or already named as a problem
        info = usable[name]
        try:
            if name.startswith(ORIGINAL):
                digest, size = archive.digest_member(zf, info, max(info.file_size, meta["size"]), path)
            else:
                data = archive.read_member(zf, info, archive.cap_for(name), path)
                digest, size = hashlib.sha256(data).hexdigest(), len(data)
                if name == REPORT:
                    report_bytes = data
                elif keep and name.startswith("images/"):
                    read.pictures[name] = data
        except CaseLimitError:
            raise
        except CaseIntegrityError as exc:  # CRC mismatch, bad compressed data: the bytes changed
            changed.append(name)
            problems.append(exc.message)
            continue
        if size != meta["size"]:
            problems.append(f"{shown(name)} is {size:,} bytes, the manifest says {meta['size']:,}")
        if digest != meta["sha256"] or size != meta["size"]:
            changed.append(name)
    if keep:  # pictures the manifest does not list: shown by a lenient open, still bounded
        for name in extra:
            if name.startswith("images/"):
                try:
                    read.pictures[name] = archive.read_member(zf, usable[name], MAX_PICTURE_BYTES, path)
                except CaseLimitError:
                    raise
                except CaseIntegrityError as exc:
                    problems.append(exc.message)
    originals = [n for n in names if n.startswith(ORIGINAL)]
    if orig["included"]:
        if len(originals) != 1:
            problems.append(f"the manifest says the original is included, the archive holds {len(originals)}")
        elif originals[0] in files and files[originals[0]]["sha256"] != orig["sha256"]:
            problems.append(
                f"the included original {shown(originals[0])} is not the file the case is about (sha256)"
            )
        else:
            read.original = originals[0]
    elif originals:
        problems.append("the manifest says the original is not included, yet the archive holds one")
    if REPORT not in files:
        problems.append(f"the manifest does not list {REPORT}")
    if report_bytes is not None:
        try:
            data = _json(report_bytes, REPORT, MAX_REPORT_BYTES)
        except (InputLimitError, ValueError) as exc:
            read.report_problem = f"{REPORT} is unreadable ({_why(exc)})"
        else:
            wrong = _report_problems(data, manifest)
            read.report_problem = wrong[0] if wrong else ""
            if not wrong:
                try:
                    read.report = _report(data, {}, path)
                except CaseIntegrityError as exc:
                    read.report_problem = exc.message
        if read.report_problem:
            problems.append(read.report_problem)
        del report_bytes
    ok = not (changed or missing or extra or problems)
    return CaseCheck(ok, sorted(changed), sorted(missing), sorted(extra), problems), read


def check_case(path: str | Path) -> CaseCheck:
    """Re-hash every member of a case file against its manifest (limits checked first)."""
    p = Path(path)
    with archive.open_zip(p) as zf:
        return _check(zf, p)[0]


def _report(data: dict[str, Any], pictures: dict[str, bytes], path: Path) -> Report:
    """The Report from checked JSON; any shape it cannot be is a CaseIntegrityError."""
    try:
        report = Report.from_dict(data, images=pictures)
    except CaseIntegrityError:
        raise
    except ReportError as exc:
        raise CaseIntegrityError(f"{REPORT} cannot be read: {exc.message}", path=path) from exc
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise CaseIntegrityError(f"{REPORT} is malformed ({_why(exc)})", path=path) from exc
    except VerifyError as exc:
        raise CaseIntegrityError(f"{REPORT} cannot be read: {exc.message}", path=path) from exc
    problem = record_problem(dataclasses.replace(report, images={}))
    if problem:
        raise CaseIntegrityError(f"{REPORT} is malformed: {safe_text(problem, limit=200)}", path=path)
    return report


def open_case(path: str | Path, *, strict: bool = True) -> Case:
    """Open a case file: its report with pictures. ``strict`` refuses one that fails :func:`check_case`.

    ``strict=False`` opens a case that failed the check to inspect it (``Case.check`` says what
    is wrong), but never one over the limits or whose report cannot be read.
    """
    p = Path(path)
    with archive.open_zip(p) as zf:
        check, read = _check(zf, p, keep=True)
    if strict and not check.ok:
        raise CaseIntegrityError(check.describe(), path=p)
    if read.report is None:
        raise CaseIntegrityError(read.report_problem or f"has no readable {REPORT}", path=p)
    report = dataclasses.replace(read.report, images={**read.report.images, **read.pictures})
    report.log("case opened", f"{safe_text(p.name, limit=200)}: {check.describe()}")
    return Case(p, report, read.manifest, check, read.original)


__all__ = [
    "MANIFEST",
    "MAX_MEMBER",
    "MAX_TOTAL_BYTES",
    "REPORT",
    "SCHEMA_VERSION",
    "Case",
    "CaseCheck",
    "check_case",
    "open_case",
    "save_case",
]
