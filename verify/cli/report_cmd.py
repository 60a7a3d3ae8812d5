"""``verify report``, ``verify case save|open|check`` and ``verify evidence``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import CaseIntegrityError, VerifyError
from ..text import plural, safe_text

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..notes import Notes
    from ..report import Report

FORMATS = ("md", "html", "json", "pdf")


@contextmanager
def _progress(label: str) -> Iterator[Callable[[float, float], None] | None]:
    """A progress bar on a terminal, nothing when piped."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=1000, label=label, file=sys.stderr) as bar:
        state = {"shown": 0}

        def update(done: float, total: float) -> None:
            pos = int(1000 * done / total) if total else 0
            if pos > state["shown"]:
                bar.update(pos - state["shown"])
                state["shown"] = pos

        yield update


def _notes(path: Path | None) -> Notes | None:
    if path is None:
        return None
    from ..notes import load_notes

    return load_notes(path)


def _analyse(file: Path, library: str | None, top: int) -> Analysis:
    """One analysis of FILE (probe, one decode, matches against LIBRARY when given: a file or a
    ``postgresql://`` URL)."""
    from ..analysis import AnalysisSettings, analyse
    from .match_cmd import open_library

    settings = AnalysisSettings(top=top)
    with _progress("analysing") as progress:
        if library is None:
            return analyse(file, settings=settings, progress=progress)
        with open_library(library, create=False) as lib:
            return analyse(file, library=lib, settings=settings, progress=progress)


def _build(
    file: Path, library: str | None, notes: Path | None, keyframes: bool, top: int, ocr: bool = False
) -> Report:
    from ..report import build_report

    loaded = _notes(notes)
    analysis = _analyse(file, library, top)
    if ocr:  # the keyframes' kept pictures: no second decode
        from ..analysis import ocr as read_text

        with _progress("reading text") as progress:
            analysis = read_text(analysis, progress=progress)
    if not keyframes:
        analysis = replace(analysis, keyframes=())
    return build_report(analysis, notes=loaded)


_file_arg = click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
_library_opt = click.option(
    "--library",
    "library",
    type=str,  # a file, or a postgresql:// URL (a Path would fold its "//")
    default=None,
    help="Library to match against: its file (SQLite) or a PostgreSQL URL (postgresql://user@host/db).",
)
_notes_opt = click.option(
    "--notes",
    "notes",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Analyst notes: NOTES.json or NOTES.md (see docs/reports.md).",
)
_top_opt = click.option("--top", default=5, show_default=True, help="Most matches to report.")
_ocr_opt = click.option(
    "--ocr",
    is_flag=True,
    help="Also read the text on screen of the keyframes (OCR on this machine; slower): a 'Text on screen' "
    "section with times, confidence and leads.",
)


@click.command("report")
@_file_arg
@_library_opt
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: from the -o suffix, else html).",
)
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file, or an existing folder to write CASE-ID.<format> into.",
)
@_notes_opt
@click.option("--no-keyframes", is_flag=True, help="Skip keyframe extraction.")
@click.option("--embed-images", is_flag=True, help="JSON only: include the pictures as base64.")
@click.option(
    "--full-paths",
    is_flag=True,
    help="Keep local paths and stored file names (an internal record); by default the report names "
    "files only, fit for publication.",
)
@_top_opt
@_ocr_opt
def report_command(
    file: Path,
    library: str | None,
    fmt: str | None,
    out: Path,
    notes: Path | None,
    no_keyframes: bool,
    embed_images: bool,
    full_paths: bool,
    top: int,
    ocr: bool,
) -> None:
    """Analyse FILE and export its verification report (md, html, json or pdf).

    The report names files, not your folders (no local paths, no stored-name prefixes), unless
    --full-paths is given.
    """
    from ..export import FORMATS as SUFFIXES
    from ..export import export, paths

    if out.is_dir() and not out.is_symlink():
        out_dir, name = out, None
    else:  # refused before the analysis: a link, a device (/dev/null), a FIFO
        out_dir, name = paths.check_output(out).parent, out.name
    if fmt is None:
        suffix = out.suffix.lower().lstrip(".") if name else ""
        fmt = (
            {"markdown": "md", "htm": "html"}.get(suffix, suffix)
            if suffix in (*FORMATS, "markdown", "htm")
            else "html"
        )
    if name is not None and not Path(name).suffix:
        name += SUFFIXES[fmt]
    if name is not None:
        paths.check_output(out_dir / paths.check_name(name))
    report = _build(file, library, notes, not no_keyframes, top, ocr)
    path = export(report, fmt, out_dir, name=name, embed_images=embed_images, full_paths=full_paths)
    click.echo(
        f"{safe_text(str(path))}  ({fmt}; case {safe_text(report.case_id, limit=80)}; verdict {report.verdict}; "
        f"{plural(len(report.matches), 'match', 'matches')})"
    )


@click.group("case")
def case_group() -> None:
    """Case files (.verify.zip): save an analysis, open it again, check it is unchanged."""


@case_group.command("save")
@_file_arg
@_library_opt
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Case file to write (CASE.verify.zip).",
)
@_notes_opt
@click.option("--include-original", is_flag=True, help="Put the examined file itself into the case.")
@_top_opt
@_ocr_opt
def case_save(
    file: Path,
    library: str | None,
    out: Path,
    notes: Path | None,
    include_original: bool,
    top: int,
    ocr: bool,
) -> None:
    """Analyse FILE and save everything as one case file."""
    from ..case import save_case
    from ..digest import sha256_file
    from ..export import paths

    paths.check_output(out)  # before the analysis: a link, a device, a FIFO
    report = _build(file, library, notes, True, top, ocr)
    path = save_case(report, out, include_original=include_original, original=file)
    digest = sha256_file(path)
    click.echo(
        f"{safe_text(str(path))}  (case {safe_text(report.case_id, limit=80)}; {len(report.image_refs())} pictures; "
        f"original {'included' if include_original else 'referenced by sha256'})"
    )
    click.echo(f"sha256 of the case file: {digest}  (keep it somewhere else to prove the case unchanged)")


@case_group.command("open")
@click.argument("case", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the full report JSON.")
def case_open(case: Path, as_json: bool) -> None:
    """Print a summary of a case file (refuses one whose contents changed)."""
    from ..case import open_case

    opened = open_case(case)
    if as_json:  # ASCII-only: no control character of the report can reach the terminal raw
        click.echo(json.dumps(opened.report.to_dict(), ensure_ascii=True, indent=2))
    else:
        click.echo(opened.summary())


@case_group.command("check")
@click.argument("case", type=click.Path(path_type=Path, dir_okay=False))
def case_check(case: Path) -> None:
    """Re-hash every file inside CASE against its manifest (exit 0 ok, 2 changed)."""
    from ..case import check_case

    result = check_case(case)
    if not result.ok:
        raise CaseIntegrityError(result.describe(), path=case)
    click.echo(f"{safe_text(str(case))}: {result.describe()}")


@click.command("evidence")
@_file_arg
@_library_opt
@click.option(
    "--match",
    "number",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Which match (1 = best, as listed by `verify match`).",
)
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Output video (OUT.mp4).",
)
@click.option("--height", default=360, show_default=True, help="Height of each side, pixels.")
def evidence_command(file: Path, library: str | None, number: int, out: Path, height: int) -> None:
    """Render the side-by-side evidence video of one match of FILE."""
    from ..evidence import render_evidence
    from ..export import paths

    if library is None:
        raise click.UsageError("--library is required")
    paths.check_output(out)  # before matching: a link, a device, a FIFO
    analysis = _analyse(file, library, max(number, 5))
    result = analysis.matches
    if result is None or len(result.matches) < number:
        found = 0 if result is None else len(result.matches)
        raise VerifyError(
            f"has {plural(found, 'match', 'matches')}, not {number}"
            + (f" ({analysis.problems[-1]})" if analysis.problems else ""),
            path=file,
            stage="evidence",
            hint="List them with `verify match FILE --library DB`.",
        )
    match = result.matches[number - 1]
    with _progress("rendering") as progress:
        path = render_evidence(file, match.reference.path, match, out, height=height, progress=progress)
    click.echo(
        f"{safe_text(str(path))}  (query {match.query_start:.2f}-{match.query_end:.2f} s vs reference "
        f"{match.reference_start:.2f}-{match.reference_end:.2f} s)"
    )


def register(cli: click.Group) -> None:
    cli.add_command(report_command)
    cli.add_command(case_group)
    cli.add_command(evidence_command)
