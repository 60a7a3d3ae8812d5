"""Exports of a :class:`verify.report.Report`: Markdown, self-contained HTML, JSON, PDF.

``export(report, fmt, out_dir, *, name=None, full_paths=False) -> Path`` writes one file
inside ``out_dir`` (Markdown also writes its pictures into ``<name>-images/`` beside it)
and never outside: a ``name`` with a folder separator or ``..``, or a target that is a
symbolic link, a device or a FIFO, raises :class:`verify.errors.UnsafePathError`; files are
written to a temporary file and renamed (:mod:`.paths`). The export is logged in the
report's chain of custody before it is rendered, so the document records its own making.

Exports are for publication: they name files, not the analyst's folders, unless
``full_paths=True`` (:mod:`.publish`); the ``Report`` itself keeps full paths.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..digest import sha256_bytes
from ..errors import ReportError
from ..report.model import Report
from ..text import json_text
from . import paths
from .publish import for_publication

log = logging.getLogger("verify")

FORMATS = {"md": ".md", "html": ".html", "json": ".json", "pdf": ".pdf"}
ALIASES = {"markdown": "md", "htm": "html"}


def render_bytes(
    report: Report,
    fmt: str,
    *,
    image_folder: str | None = None,
    embed_images: bool = False,
    full_paths: bool = False,
) -> bytes:
    """The export as bytes, without writing anything (Markdown pictures are not included).

    ``full_paths=False`` (the default) renders :func:`.publish.for_publication` of the report.
    """
    fmt = ALIASES.get(fmt, fmt)
    if not full_paths:
        report = for_publication(report)
    if fmt == "html":
        from .html import render as render_html

        return render_html(report).encode("utf-8")
    if fmt == "md":
        from .markdown import render as render_md

        return render_md(report, image_folder).encode("utf-8")
    if fmt == "json":
        return (json_text(report.to_dict(embed_images=embed_images), indent=2) + "\n").encode("utf-8")
    if fmt == "pdf":
        from .pdf import render as render_pdf

        return render_pdf(report)
    raise ReportError(f"unknown export format {fmt!r}", hint=f"Use one of {', '.join(FORMATS)}.")


def export(
    report: Report,
    fmt: str,
    out_dir: str | Path,
    *,
    name: str | None = None,
    embed_images: bool = False,
    full_paths: bool = False,
) -> Path:
    """Write ``report`` as ``fmt`` (md, html, json, pdf) into ``out_dir``; return the file's path.

    ``full_paths=True`` keeps local paths and stored names (an internal record); by default
    the document names files only (for publication).
    """
    fmt = ALIASES.get(fmt.lower(), fmt.lower())
    if fmt not in FORMATS:
        raise ReportError(f"unknown export format {fmt!r}", hint=f"Use one of {', '.join(FORMATS)}.")
    filename = name or f"{paths.safe_name(report.case_id)}{FORMATS[fmt]}"
    target = paths.target(out_dir, filename)
    folder = None
    if fmt == "md" and report.images:
        folder = f"{paths.safe_name(target.stem)}-images"
        img_dir = paths.subfolder(target.parent, folder)
        for ref in report.image_refs():
            if ref.name in report.images:
                paths.write_bytes(paths.target(img_dir, ref.name.rsplit("/", 1)[-1]), report.images[ref.name])
    report.log("exported", f"{fmt} to {target.name}")
    data = render_bytes(report, fmt, image_folder=folder, embed_images=embed_images, full_paths=full_paths)
    paths.write_bytes(target, data)
    log.info("exported %s (%d bytes, sha256 %s)", target, len(data), sha256_bytes(data)[:12])
    return target


__all__ = ["FORMATS", "export", "for_publication", "render_bytes"]
