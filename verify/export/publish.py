"""Reports for publication name files, not the analyst's folders or verify's internal names.

A report is often published with a debunk. Its record (``Report``, the case file's
``report.json``) keeps full paths, which an internal record needs; what is *exported* for
publication must not say ``/home/alice/sources/…/uploads/3f9c…e1-clip.mov``. So every export
renders :func:`for_publication` of the report unless ``full_paths=True`` is asked
(``verify report --full-paths``):

* the examined file: ``file.path`` is dropped and ``file.name`` loses the upload's
  ``<sha256[:16]>-`` prefix (recognised only when it *is* the file's own sha256 prefix);
* the library and every matched reference are named by their file name only (same prefix rule
  with the reference's sha256);
* the probe record: ``path`` fields become the file name, and the stored name the published one
  (tags *inside* the file are evidence and stay verbatim, paths in them included);
* custody details and settings (written by verify and the workbench, e.g. "exported to
  /home/…/exports/…/report.html"): every known local path, and any absolute path, becomes its
  last component. The analyst's own notes are never rewritten.
"""

from __future__ import annotations

import re
from typing import Any

from ..report.model import Report

_STORED = re.compile(r"([0-9a-f]{16})-(.+)", re.DOTALL)
# an absolute POSIX path of 2+ parts not inside a URL or a word; a Windows path with a drive letter
_POSIX = re.compile(r"(?<![\w.~:/\\-])(?:/[^/\s'\"<>|:]+)+/([^/\s'\"<>|:]+)")
_WINDOWS = re.compile(r"(?<![\w])[A-Za-z]:\\(?:[^\\\s'\"<>|]+\\)*([^\\\s'\"<>|]+)")


def published_name(name: str, sha256: str = "") -> str:
    """``name`` without the ``<sha256[:16]>-`` prefix uploads are stored under (only when it is
    the file's own sha256 prefix: a file really named ``0123456789abcdef-x.mp4`` keeps its name)."""
    base = base_name(name)
    m = _STORED.fullmatch(base)
    if m and sha256 and m.group(1) == sha256[:16].lower():
        return m.group(2)
    return base


def base_name(path: str) -> str:
    """The last part of a POSIX or Windows path."""
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def scrub_text(text: str, known: dict[str, str]) -> str:
    """Free text written by verify or the workbench, with local paths reduced to file names."""
    for full in sorted(known, key=len, reverse=True):  # longest first: a folder inside a path
        if full and full in text:
            text = text.replace(full, known[full])
    text = _POSIX.sub(lambda m: m.group(1), text)
    return _WINDOWS.sub(lambda m: m.group(1), text)


def _walk(value: Any, fn: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, fn, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, fn, key) for v in value]
    return fn(value, key) if isinstance(value, str) else value


def for_publication(report: Report) -> Report:
    """A copy of ``report`` that names files, not folders (see the module docstring)."""
    data = report.to_dict()
    f = report.file
    name = published_name(f.name, f.sha256)
    known: dict[str, str] = {}  # a local path or stored name -> what a published document says instead
    if f.path:
        known[f.path] = name
    known[f.name] = name
    if report.library is not None and report.library.path:
        known[report.library.path] = base_name(report.library.path)
    for m in report.matches:
        r = m.reference
        shown = published_name(r.path, r.sha256)
        if r.path:
            known[r.path] = shown
        known[base_name(r.path)] = shown
    known = {k: v for k, v in known.items() if k and k != v}

    def exact(text: str, key: str) -> str:  # recorded values: paths and names only, tags never rewritten
        if key == "path":
            return base_name(known.get(text, text))
        return known.get(text, text)

    def free(text: str, key: str) -> str:  # sentences verify or the workbench wrote
        return scrub_text(text, known)

    data["file"] = {**data["file"], "name": name, "path": ""}
    if data.get("library"):
        data["library"]["path"] = base_name(data["library"].get("path", ""))
    for m in data.get("matches", []):
        ref = (m.get("match") or {}).get("reference") or {}
        ref["path"] = published_name(ref.get("path", ""), ref.get("sha256", ""))
        ref["media"] = _walk(ref.get("media", {}), exact)
        m["summary"] = scrub_text(m.get("summary", ""), known)
    data["probe"] = _walk(data.get("probe", {}), exact)
    names = {k: v for k, v in known.items() if "/" not in k and "\\" not in k}
    for sig in data.get("signals", []):  # they quote the file's tags: only stored names are replaced
        sig["fields"] = _walk(sig.get("fields", {}), exact)
        for key in ("title", "explanation"):
            text = sig.get(key, "")
            for stored, shown in names.items():
                text = text.replace(stored, shown)
            sig[key] = text
    data["custody"] = _walk(data.get("custody", []), free)
    data["settings"] = _walk(data.get("settings", {}), free)
    return Report.from_dict(data, images=report.images)


__all__ = ["base_name", "for_publication", "published_name", "scrub_text"]
