"""``verify hash``, ``verify match`` and ``verify library list|show|remove|index`` (``audio``: sound_cmd).

Thin: options become calls to ``verify.library`` (``ingest``, ``Library``) and
``verify.matching`` (``match_file``). File-derived strings go through ``safe_text``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..text import clock, json_text, plural, safe_text
from . import PartialFailure
from .sound_cmd import channel_lines, library_audio, query_sound, sound_detail

if TYPE_CHECKING:  # the stages load when a command runs, not when the CLI starts
    from ..library import AddResult, Library, Reference
    from ..matching import MatchResult

_library_option = click.option(
    "--library",
    "library_path",
    required=True,
    type=str,  # a file, or a postgresql:// URL (a Path would fold its "//")
    help="The library file (SQLite), created on first use by `hash`, or a PostgreSQL URL "
    "(postgresql://user@host/db) for a shared library.",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")


def _ref_dict(ref: Reference) -> dict[str, Any]:
    """A reference as JSON: the one serialised shape (``verify.serial``) used everywhere."""
    from .. import serial

    return dict(serial.to_jsonable(ref))


def _check_date(ctx: click.Context, param: click.Parameter, value: str) -> str:
    value = value.strip()
    if value and not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?", value):
        raise click.BadParameter(f"{value!r} is not a date like 2023-09-11 (or 2023-09, or 2023)")
    return value


def open_library(path: str | Path, create: bool = False) -> Library:
    """A library file (SQLite) or a ``postgresql://`` URL, with the persistent index where configured."""
    from ..library import Library

    # where the persistent index lives (default: beside the file; ~/.cache for a PostgreSQL library)
    index = os.environ.get("VERIFY_INDEX_DIR") or None
    return Library(path, create=create, index_folder=Path(index) if index else None)


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
@click.option("--cluster", "cluster", default=None, metavar="SCHEDULER",
              help="Fingerprint on a Dask cluster (scheduler address or file); files must be on shared storage.")  # fmt: skip
@click.option("--ocr", is_flag=True, help="Also read the text on screen of each added clip (searchable).")
@click.option("--no-audio", "no_audio", is_flag=True,
              help="Do not fingerprint the sound (by default it is, in the same decode as the picture).")  # fmt: skip
@_json_option
def hash_cmd(
    paths: tuple[Path, ...],
    library_path: str,
    title: str,
    source_url: str,
    first_seen: str,
    found_at: str,
    description: str,
    tags: tuple[str, ...],
    notes: str,
    workers: int,
    ocr: bool,
    as_json: bool,
    cluster: str | None = None,
    no_audio: bool = False,
) -> None:
    """Fingerprint PATHS (files, or folders searched recursively) into the library.

    Files already in the library (same sha256) are skipped; bad files are reported
    one line each and skipped; the exit code is 3 when some failed. Each file is
    committed on its own, so an interrupted run loses nothing and a re-run resumes.
    """
    from ..library import Provenance, ingest

    prov = Provenance(title, source_url, first_seen, found_at, description, tuple(tags), notes)
    counts: dict[str, int] = {"added": 0, "exists": 0, "failed": 0}
    with open_library(library_path, create=True) as lib:
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

        client = None
        if cluster:
            from ..cluster import connect, ingest_on_cluster

            client = connect(cluster)
            results = ingest_on_cluster(paths, lib, client, prov, progress=progress)
        else:
            results = ingest(paths, lib, prov, workers=workers, progress=progress, audio=not no_audio)
        try:
            for result in results:
                counts[result.status] += 1
                if ocr and result.status == "added" and result.reference is not None:
                    _store_text(lib, result)
                heard = sound_detail(lib, result)
                if as_json:
                    click.echo(json_text({**result.to_dict(), **({"sound": heard} if heard else {})}))
                else:
                    if bar is not None:  # erase the bar's line; it is drawn again on the next update
                        sys.stderr.write("\r\033[K")
                        sys.stderr.flush()
                    click.echo(_hash_line(result) + (f"  ({heard})" if heard else ""))
        finally:
            results.close()  # on Ctrl-C: stops the workers now, not when the generator is collected
            if bar is not None:
                bar.__exit__(None, None, None)
            if client is not None:
                client.close()
        health = lib.integrity_check()
    total = counts["added"] + counts["exists"] + counts["failed"]
    if not as_json and total:
        click.echo(
            f"{counts['added']} added, {counts['exists']} already known, {counts['failed']} failed", err=True
        )
    if health != "ok":
        raise click.ClickException(f"{library_path}: integrity check failed after hashing: {health}")
    if total == 0:
        raise click.UsageError("no media files found in the given paths")
    if counts["failed"]:
        raise PartialFailure(f"{counts['failed']} of {total} files failed (see above)")


def _store_text(lib: Library, result: AddResult) -> None:
    """OCR of an added clip's keyframes into the library; a failure is a note, not a failed file."""
    from ..errors import VerifyError
    from ..ocr import ocr_file

    try:
        lib.set_text(result.reference.id, ocr_file(result.path))  # type: ignore[union-attr]
    except VerifyError as exc:
        click.echo(
            f"note    text on screen of {safe_text(result.path)} not read: {safe_text(str(exc))}", err=True
        )


# -- match --------------------------------------------------------------------------------


def _match_lines(result: MatchResult) -> list[str]:
    q = result.query
    note = query_sound(result)
    seen = "audio only, no picture" if q.kind == "audio" else f"{q.usable_samples} usable samples"
    lines = [f"query: {safe_text(q.path)} ({clock(q.duration, 1)}, {seen}" + (f"; {note})" if note else ")")]
    scenes = result.scenes
    if not result.matches:
        what = "matched in time" if scenes else "matched"
        lines.append(f"no known footage {what} (library of {plural(result.library_references, 'reference')})")
    for i, m in enumerate(result.matches, 1):
        ref, prov = m.reference, m.reference.provenance
        lines.append(
            f"{i}. {clock(m.query_start, 1)}-{clock(m.query_end, 1)} of the query = "
            f"{clock(m.reference_start, 1)}-{clock(m.reference_end, 1)} of #{ref.id} "
            f'"{safe_text(ref.display_title, limit=120)}"'
        )
        if m.method.startswith("identical"):
            how = "same bytes" if m.method == "identical" else "same decoded pictures, other bytes"
            details = [f"identical copy ({how})", f"score {m.score:.2f}"]
        else:
            details = [
                f"score {m.score:.2f}",
                f"speed {m.speed:.2f}x",
                *(m.edits() or ["not mirrored or cropped"]),
            ]
            details.append(
                f"{m.aligned_fraction:.0%} of its frames align; covers {m.coverage_query:.0%} of the query, "
                f"{m.coverage_reference:.0%} of the reference"
            )
            if m.method == "fine":
                details.append(
                    f"low-motion scene placed by what moves (correlation {m.fine_correlation:.2f},"
                    f" elsewhere at most {m.fine_rival:.2f})"
                )
        if m.channel == "sound":  # no picture to describe: what the sound says
            lines += channel_lines(m, result)
        else:
            lines.append("   " + ", ".join(details))
            lines += channel_lines(m, result)
        if m.alternatives:
            alts = ", ".join(clock(a, 1) for a in m.alternatives[:8])
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
                f"- {clock(x.query_start, 1)}-{clock(x.query_end, 1)} of the query shows {what} #{x.reference.id} "
                f'"{safe_text(x.reference.display_title, limit=120)}", could be any of '
                f"{clock(x.reference_start, 1)}-{clock(x.reference_end, 1)} of it"
            )
            corr = (
                ""
                if x.best_correlation is None
                else f", best correlation of what moves {x.best_correlation:.2f}"
            )
            lines.append(
                f"  frames within {plural(round(x.median_distance), 'bit')} for {x.matched_fraction:.0%} of the samples{corr}"
            )
        lines.append("note: " + result.explanation)
    return lines


@click.command("match")
@click.argument("file", type=click.Path(path_type=Path))
@_library_option
@click.option(
    "--top", type=click.IntRange(1, 1000), default=10, show_default=True, help="Most matches shown."
)
@click.option("--cluster", "cluster", default=None, metavar="SCHEDULER",
              help="Search the index sharded over a Dask cluster (scheduler address or file).")  # fmt: skip
@_json_option
def match_cmd(file: Path, library_path: str, top: int, as_json: bool, cluster: str | None = None) -> None:
    """Find which parts of FILE are known footage from the library, and where in it."""
    from ..matching import match_file

    with open_library(library_path) as opened:
        lib: Any = opened
        client = None
        if cluster:
            from ..cluster import ClusterLibrary, connect

            client = connect(cluster)
            lib = ClusterLibrary(opened, client)
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
        if client is not None:
            client.close()
    if as_json:
        click.echo(json_text(result.to_dict()))
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
def library_list(library_path: str, search: str | None, as_json: bool) -> None:
    """Every reference: id, title, duration, first seen, file."""
    with open_library(library_path) as lib:
        refs = lib.references(search)
    if as_json:
        click.echo(json_text([_ref_dict(r) for r in refs]))
        return
    for r in refs:
        first = safe_text(r.provenance.first_seen or "-", limit=20)
        click.echo(f"#{r.id:<5} {clock(r.duration, 1):>8}  {first:<10}  {safe_text(r.display_title, limit=60)}"
                   f"  ({safe_text(r.path, limit=200)})")  # fmt: skip
    click.echo(f"{len(refs)} reference{'s' if len(refs) != 1 else ''}", err=True)


@library_group.command("show")
@click.argument("ref_id")
@_library_option
@_json_option
def library_show(ref_id: str, library_path: str, as_json: bool) -> None:
    """One reference (by id or sha256) with all its provenance."""
    with open_library(library_path) as lib:
        ref = lib.get(ref_id)
        text = lib.text_of(ref.id)
    d = _ref_dict(ref)
    if text is not None:
        d["text_on_screen"] = text.text().splitlines()
    if as_json:
        click.echo(json_text(d))
        return
    p = ref.provenance
    rows = [
        ("id", ref.id), ("title", p.title), ("source_url", p.source_url), ("first_seen", p.first_seen),
        ("found_at", p.found_at), ("description", p.description), ("tags", ", ".join(p.tags)), ("notes", p.notes),
        ("path", ref.path), ("sha256", ref.sha256), ("duration", clock(ref.duration, 1)),
        ("size", f"{ref.width}x{ref.height}"), ("added_at", ref.added_at), ("algorithm", ref.algorithm),
        ("hashes", ref.n_hashes),
        *(("text", line) for line in d.get("text_on_screen", ())),
    ]  # fmt: skip
    for key, value in rows:
        click.echo(f"{key:>12}: {safe_text(value)}")


@library_group.command("remove")
@click.argument("ref_id")
@_library_option
@_json_option
def library_remove(ref_id: str, library_path: str, as_json: bool) -> None:
    """Delete a reference (by id or sha256) and its fingerprint."""
    with open_library(library_path) as lib:
        ref = lib.remove(ref_id)
    if as_json:
        click.echo(json_text({"removed": _ref_dict(ref)}))
    else:
        click.echo(f"removed #{ref.id} {safe_text(ref.display_title)}")


@library_group.command("index")
@_library_option
@click.option(
    "--check", is_flag=True, help="Read every index file and verify its checksum; rebuild what is damaged."
)
@click.option("--rebuild", is_flag=True, help="Rebuild the index from the library.")
@click.option(
    "--compact", is_flag=True, help="Merge the index into one segment (after many small additions)."
)
@click.option("--shards", type=click.IntRange(1, 4096), default=None,
              help="Also bring the index split into N shards up to date (for `match --cluster`).")  # fmt: skip
@_json_option
def library_index(library_path: str, check: bool, rebuild: bool, compact: bool, shards: int | None,
                  as_json: bool) -> None:  # fmt: skip
    """The persistent search index beside the library: bring it up to date, check, rebuild or compact it."""
    from ..library import persistent

    with open_library(library_path) as lib:
        status = lib.check_index() if check else "ok"
        algorithms = [a for a in lib.stats().hashes]
        if rebuild or compact:
            lib.rebuild_index(compact=compact and not rebuild)
        out: list[dict[str, Any]] = []
        for alg in algorithms:
            lib.hash_table(alg)  # opens it, bringing it up to date with the library
            if shards:
                from ..cluster import update_shards

                update_shards(lib, alg, shards)
            store = (
                persistent.index_store(lib.index_folder, alg, lib.index_sample_from)
                if lib.index_folder
                else None
            )
            current = store.read() if store else None
            segs = current[1] if current else []
            out.append({"algorithm": alg, "folder": str(store.folder) if store else None, "segments": len(segs),
                        "rows": sum(s.rows for s in segs), "bytes": store.size_bytes() if store else 0,
                        "sampled_segments": sum(s.grid > 0 for s in segs)})  # fmt: skip
    if as_json:
        click.echo(json_text({"check": status, "indexes": out}))
    else:
        for x in out:
            sampled = f" ({x['sampled_segments']} sampled: a large library)" if x["sampled_segments"] else ""
            click.echo(f"{safe_text(x['algorithm'])}: {x['rows']:,} rows in {x['segments']} segments{sampled}, "
                       f"{x['bytes'] / 1e6:.1f} MB  ({safe_text(x['folder'])})")  # fmt: skip
        if check:
            click.echo(f"check: {safe_text(status)}")
    if status != "ok":
        raise click.ClickException(f"the index was damaged and has been rebuilt: {status}")


def register(cli: click.Group) -> None:
    cli.add_command(hash_cmd)
    cli.add_command(match_cmd)
    cli.add_command(library_group)
    library_group.add_command(library_audio)
