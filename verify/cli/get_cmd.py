"""``verify get URL [-o DIR]``: download a video from a link, with the site's record and custody.

This is the one command that goes on the network, and only to the site of the URL (and the media
servers that site names). Thin: options become a call to :func:`verify.intake.fetch_link`; then
the file is probed and the site's upload time compared with the file's own times.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import serial
from ..text import safe_text
from .probe_cmd import parse_size


def _bar() -> tuple[Any, Callable[[float, float], None] | None]:
    if not sys.stderr.isatty():
        return None, None
    bar = click.progressbar(length=1000, label="downloading", file=sys.stderr)
    state = {"shown": 0}

    def update(done: float, total: float) -> None:
        pos = int(1000 * done / total) if total else 0
        if pos > state["shown"]:
            bar.update(min(pos, 1000) - state["shown"])
            state["shown"] = min(pos, 1000)

    return bar, update


@click.command("get")
@click.argument("url")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="Folder to download into (created if missing).")  # fmt: skip
@click.option(
    "--max-size",
    "max_size",
    default=None,
    metavar="SIZE",
    help="Refuse downloads larger than this (e.g. 2G).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the file, site record, custody and signals as JSON."
)
def get_command(url: str, out: Path, max_size: str | None, as_json: bool) -> None:
    """Download the video at URL with yt-dlp, keep the site's record and log the custody.

    Writes FILE, FILE.info.json (what the site says: platform, id, uploader, channel, upload time,
    title, description, counts) and FILE.custody.json (the URL, the UTC time and the sha256).
    Fetching a link contacts that site: nothing else is sent anywhere.
    """
    from ..intake import custody_for, fetch_link, link_signals
    from ..probe import probe

    bar, update = _bar()
    try:
        got = fetch_link(url, out, progress=update, max_bytes=parse_size(max_size))
    finally:
        if bar is not None:
            bar.render_finish()
    info = probe(got.path)
    signals = link_signals(info, got.record)
    custody = custody_for(got.path, check=False)
    r = got.record
    if as_json:
        payload = {"file": str(got.path), "sha256": got.sha256, "size": got.size, "record": serial.to_jsonable(r),
                   "info_path": str(got.info_path), "custody_path": str(got.custody_path),
                   "custody": serial.to_jsonable(custody.entries if custody else []),
                   "signals": serial.to_jsonable(signals)}  # fmt: skip
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    s = safe_text
    click.echo(f"downloaded  {s(str(got.path))}  ({got.size:,} bytes)")
    click.echo(f"  sha256    {got.sha256}")
    title = f' "{s(r.title, limit=120)}"' if r.title else ""
    by = f" by {s(r.uploader or r.channel, limit=80)}" if r.uploader or r.channel else ""
    click.echo(f"site        {s(r.platform)} id {s(r.id, limit=80)}{title}{by}")
    up = r.upload_time()
    if up is not None:
        click.echo(f"  time      {s(up.raw)} ({s(up.source)})")
    counts = [f"{n} {k}" for k, n in (("views", r.view_count), ("likes", r.like_count)) if n is not None]
    if counts:
        click.echo("  counts    " + ", ".join(counts))
    click.echo(f"  contacted {s(', '.join(r.hosts_contacted))}")
    click.echo(f"info        {s(str(got.info_path))}")
    click.echo(f"custody     {s(str(got.custody_path))}")
    for e in custody or []:
        click.echo(f"  {e.at}  {s(e.step)}: {s(e.detail, limit=300)}")
    click.echo("Signals" if signals else "Signals    none")
    for sig in signals:
        click.echo(f"  [{sig.severity}] {sig.title}: {s(sig.explanation, limit=400)}")


def register(cli: click.Group) -> None:
    cli.add_command(get_command)
