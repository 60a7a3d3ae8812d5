"""``verify frames FILE --out DIR``: write frame images and an index.json (``verify.export.frames``)."""

from __future__ import annotations

from pathlib import Path

import click

from ..text import json_text, safe_text
from .views import ocr_lines


@click.command("frames")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the images and index.json (created if missing).",
)
@click.option(
    "--mode",
    type=click.Choice(["shots", "fps", "keyframes"]),
    default="shots",
    show_default=True,
    help="shots: one frame per shot plus extras for long shots; fps: N frames per second; "
    "keyframes: the encoder's keyframes (fast).",
)
@click.option(
    "--fps",
    type=click.FloatRange(min=0.001, max=120),
    default=1.0,
    show_default=True,
    help="Frames per second for --mode fps.",
)
@click.option("--format", "fmt", type=click.Choice(["jpg", "png"]), default="jpg", show_default=True)
@click.option(
    "--size",
    type=click.IntRange(16, 8192),
    default=640,
    show_default=True,
    help="Longest side of the images in pixels.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the index as JSON instead of a summary.")
@click.option(
    "--ocr", is_flag=True, help='Also read the text on screen of these frames (adds "ocr" to index.json).'
)
def frames_command(
    file: Path, out: Path, mode: str, fps: float, fmt: str, size: int, as_json: bool, ocr: bool
) -> None:
    """Save representative frames of FILE as images named by their time.

    Names look like clip_t000012.345_s003.jpg (seconds from the start of the
    video as a player shows it, shot 3); index.json lists every image with its
    time, frame index and shot, and the file's sha256.
    """
    from ..export.frames import export_frames
    from ..serial import to_jsonable

    index = export_frames(file, out, mode=mode, fps=fps, fmt=fmt, size=size, ocr=ocr)
    if as_json:
        click.echo(json_text(to_jsonable(index), indent=2))
        return
    n = len(index.images)
    what = f"{n} image{'' if n == 1 else 's'}" + (
        f" from {index.shots} shot{'' if index.shots == 1 else 's'}" if mode == "shots" else f" ({mode})"
    )
    click.echo(f"{safe_text(file.name)}: {what} -> {safe_text(str(out))}")
    for i in index.images:
        shot = f"  shot {i.shot}" if i.shot is not None else ""
        click.echo(f"  {i.time:9.3f} s  frame {i.index:>6}{shot}  {safe_text(i.file)}")
    if index.corrupt_frames_skipped:
        click.echo(f"  note: {index.corrupt_frames_skipped} corrupt frames were skipped")
    if index.ocr is not None:
        click.echo("\n".join(ocr_lines(index.ocr)))
    click.echo(f"  index: {safe_text(str(out / 'index.json'))}")


def register(cli: click.Group) -> None:
    cli.add_command(frames_command)
