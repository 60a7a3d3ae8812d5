"""``verify hash``, ``verify match`` and ``verify library list|show|remove``.

Thin: options become calls to ``verify.library`` (``ingest``, ``Library``) and
``verify.matching`` (``match_file``). File-derived strings go through ``safe_text``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from ..library import AddResult, Library, Provenance, Reference, ingest
from ..text import safe_text
from . import PartialFailure

_library_option = click.option(
    "--library",
    "library_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The library file (SQLite), created on first use by `hash`.",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")


def clock(seconds: float) -> str:
    """``83.25`` -> ``1:23.3`` (m:ss.s)."""
    sign = "-" if seconds < 0 else ""
    m, s = divmod(abs(float(seconds)), 60.0)
    if round(s, 1) >= 60.0:
        m, s = m + 1, 0.0
    return f"{sign}{int(m)}:{s:04.1f}"


def _ref_dict(ref: Reference) -> dict[str, Any]:
    p = ref.provenance
    return {
        "id": ref.id, "sha256": ref.sha256, "path": ref.path, "title": p.title, "source_url": p.source_url,
        "first_seen": p.first_seen, "found_at": p.found_at, "description": p.description,
        "tags": list(p.tags), "notes": p.notes, "duration": ref.duration, "width": ref.width,
        "height": ref.height, "added_at": ref.added_at, "algorithm": ref.algorithm, "n_hashes": ref.n_hashes,
    }  # fmt: skip


def _check_date(ctx: click.Context, param: click.Parameter, value: str) -> str:
    value = value.strip()
    if value and not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?", value):
        raise click.BadParameter(f"{value!r} is not a date like 2023-09-11 (or 2023-09, or 2023)")
    return value


def _open(path: Path, create: bool = False) -> Library:
    return Library(path, create=create)


# -- hash ---------------------------------------------------------------------------------


def _hash_line(r: AddResult) -> str:
    if r.status == "failed":
        return f"failed  {safe_text(r.message)}"
    ref = r.reference
    ident = f"#{ref.id}" if ref else ""
    title = f'  "{safe_text(ref.provenance.title, limit=80)}"' if ref and ref.provenance.title else ""
    word = "added " if r.status == "added" else "exists"
    return f"{word}  {ident:<6} {safe_text(r.path)}{title if r.status == 'added' else ''}"


@click.command("hash")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_library_option
@click.option("--title", default="", help="Title of the known footage.")
@click.option("--source-url", default="", help="Where the footage was published.")
@click.option("--first-seen", default="", callback=_check_date,
              help="Date the footage was first seen online (YYYY-MM-DD, or YYYY-MM, or YYYY).")  # fmt: skip
@click.option("--found-at", default="", help="Where it was found (platform, archive, agency).")
@click.option("--description", default="", help="What the footage shows.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for several).")
@click.option("--notes", default="", help="Free notes.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Files hashed in parallel (worker processes).")  # fmt: skip
@_json_option
def hash_cmd(
    paths: tuple[Path, ...],
    library_path: Path,
    title: str,
    source_url: str,
    first_seen: str,
    found_at: str,
    description: str,
    tags: tuple[str, ...],
    notes: str,
    workers: int,
    as_json: bool,
) -> None:
    """Fingerprint PATHS (files, or folders searched recursively) into the library.

    Files already in the library (same sha256) are skipped; bad files are reported
    one line each and skipped; the exit code is 3 when some failed. Each file is
    committed on its own, so an interrupted run loses nothing and a re-run resumes.
    """
    prov = Provenance(title, source_url, first_seen, found_at, description, tuple(tags), notes)
    counts: dict[str, int] = {"added": 0, "exists": 0, "failed": 0}
    with _open(library_path, create=True) as lib:
        bar = None
        if sys.stderr.isatty() and not as_json:
            bar = click.progressbar(length=1000, label="hashing", file=sys.stderr, show_eta=True)
            bar.__enter__()
        last = [0]

        def progress(done: float, total: float) -> None:
            if bar is not None and total:
                pos = int(1000 * done / total)
                bar.update(pos - last[0])
                last[0] = pos

        try:
            for result in ingest(paths, lib, prov, workers=workers, progress=progress):
                counts[result.status] += 1
                if as_json:
                    click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
                else:
                    if bar is not None:  # erase the bar's line; it is drawn again on the next update
                        sys.stderr.write("\r\033[K")
                        sys.stderr.flush()
                    click.echo(_hash_line(result))
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        health = lib.integrity_check()
    if not as_json and any(counts.values()):
        click.echo(
            f"{counts['added']} added, {counts['exists']} already known, {counts['failed']} failed", err=True
        )
    if health != "ok":
        raise click.ClickException(f"{library_path}: integrity check failed after hashing: {health}")
    if sum(counts.values()) == 0:
        raise click.UsageError("no media files found in the given paths")
    if counts["failed"]:
        raise PartialFailure(f"{counts['failed']} of {sum(counts.values())} files failed (see above)")


# -- match --------------------------------------------------------------------------------


def _match_lines(result: Any) -> list[str]:
    q = result.query
    lines = [f"query: {safe_text(q.path)} ({clock(q.duration)}, {q.usable_samples} usable samples)"]
    scenes = getattr(result, "scenes", ())
    if not result.matches:
        what = "matched in time" if scenes else "matched"
        lines.append(f"no known footage {what} (library of {result.library_references} references)")
    for i, m in enumerate(result.matches, 1):
        ref, prov = m.reference, m.reference.provenance
        lines.append(
            f"{i}. {clock(m.query_start)}-{clock(m.query_end)} of the query = "
            f"{clock(m.reference_start)}-{clock(m.reference_end)} of #{ref.id} "
            f'"{safe_text(ref.display_title, limit=120)}"'
        )
        if m.method.startswith("identical"):
            how = "same bytes" if m.method == "identical" else "same decoded pictures, other bytes"
            details = [f"identical copy ({how})", f"score {m.score:.2f}"]
        else:
            speed = f"backwards at {abs(m.speed):.2f}x" if m.speed < 0 else f"speed {m.speed:.2f}x"
            details = [f"score {m.score:.2f}", speed, "mirrored" if m.mirrored else "not mirrored"]
            if m.rotation:
                details.append(f"turned {m.rotation} degrees")
            if m.crop:
                details.append(f"crop {safe_text(m.crop)}")
            details.append(
                f"covers {m.coverage_query:.0%} of the query, {m.coverage_reference:.0%} of the reference"
            )
            if m.method == "fine":
                details.append(
                    f"low-motion scene placed by what moves (correlation {m.fine_correlation:.2f},"
                    f" elsewhere at most {m.fine_rival:.2f})"
                )
        lines.append("   " + ", ".join(details))
        if m.alternatives:
            alts = ", ".join(clock(a) for a in m.alternatives[:8])
            lines.append(f"   the reference repeats this picture: it fits as well from {alts}")
        if prov.first_seen or prov.source_url:
            seen = f"first seen {safe_text(prov.first_seen)}" if prov.first_seen else ""
            src = f"source {safe_text(prov.source_url)}" if prov.source_url else ""
            lines.append("   " + "; ".join(x for x in (seen, src) if x))
    if scenes:
        lines.append(
            "same scene, time undetermined (not a match: may be a copy or the same camera at another time):"
        )
        for x in scenes:
            what = "the same still picture as" if x.kind == "still" else "the same scene as"
            lines.append(
                f"- {clock(x.query_start)}-{clock(x.query_end)} of the query shows {what} #{x.reference.id} "
                f'"{safe_text(x.reference.display_title, limit=120)}", could be any of '
                f"{clock(x.reference_start)}-{clock(x.reference_end)} of it"
            )
            corr = (
                ""
                if x.best_correlation is None
                else f", best correlation of what moves {x.best_correlation:.2f}"
            )
            lines.append(
                f"  frames within {x.median_distance:.0f} bits for {x.matched_fraction:.0%} of the samples{corr}"
            )
        lines.append("note: " + result.explanation)
    return lines


@click.command("match")
@click.argument("file", type=click.Path(path_type=Path))
@_library_option
@click.option(
    "--top", type=click.IntRange(1, 1000), default=10, show_default=True, help="Most matches shown."
)
@_json_option
def match_cmd(file: Path, library_path: Path, top: int, as_json: bool) -> None:
    """Find which parts of FILE are known footage from the library, and where in it."""
    from ..matching import match_file

    with _open(library_path) as lib:
        if sys.stderr.isatty() and not as_json:
            with click.progressbar(length=1000, label="fingerprinting", file=sys.stderr) as bar:
                last = [0]

                def progress(done: float, total: float) -> None:
                    pos = int(1000 * done / total) if total else 0
                    bar.update(pos - last[0])
                    last[0] = pos

                result = match_file(file, lib, top=top, progress=progress)
        else:
            result = match_file(file, lib, top=top)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        click.echo("\n".join(_match_lines(result)))


# -- library ------------------------------------------------------------------------------


@click.group("library")
def library_group() -> None:
    """List, show and remove references in a library."""


@library_group.command("list")
@_library_option
@click.option("--search", default=None, help="Only references whose text fields contain this.")
@_json_option
def library_list(library_path: Path, search: str | None, as_json: bool) -> None:
    """Every reference: id, title, duration, first seen, file."""
    with _open(library_path) as lib:
        refs = lib.references(search)
    if as_json:
        click.echo(json.dumps([_ref_dict(r) for r in refs], ensure_ascii=False))
        return
    for r in refs:
        first = safe_text(r.provenance.first_seen or "-", limit=20)
        click.echo(f"#{r.id:<5} {clock(r.duration):>8}  {first:<10}  {safe_text(r.display_title, limit=60)}"
                   f"  ({safe_text(r.path, limit=200)})")  # fmt: skip
    click.echo(f"{len(refs)} reference{'s' if len(refs) != 1 else ''}", err=True)


@library_group.command("show")
@click.argument("ref_id")
@_library_option
@_json_option
def library_show(ref_id: str, library_path: Path, as_json: bool) -> None:
    """One reference (by id or sha256) with all its provenance."""
    with _open(library_path) as lib:
        ref = lib.get(ref_id)
    d = _ref_dict(ref)
    if as_json:
        click.echo(json.dumps(d, ensure_ascii=False))
        return
    for key, value in d.items():
        shown = (
            ", ".join(value)
            if isinstance(value, list)
            else round(value, 3)
            if isinstance(value, float)
            else value
        )
        click.echo(f"{key:>12}: {safe_text(shown)}")


@library_group.command("remove")
@click.argument("ref_id")
@_library_option
@_json_option
def library_remove(ref_id: str, library_path: Path, as_json: bool) -> None:
    """Delete a reference (by id or sha256) and its fingerprint."""
    with _open(library_path) as lib:
        ref = lib.remove(ref_id)
    if as_json:
        click.echo(json.dumps({"removed": _ref_dict(ref)}, ensure_ascii=False))
    else:
        click.echo(f"removed #{ref.id} {safe_text(ref.display_title)}")


def register(cli: click.Group) -> None:
    cli.add_command(hash_cmd)
    cli.add_command(match_cmd)
    cli.add_command(library_group)
