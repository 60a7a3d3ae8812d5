"""``verify frames FILE --out DIR``: write keyframe images and an index.json."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import UnsafePathError
from ..text import json_text, safe_text

if TYPE_CHECKING:
    from ..frames import DecodeStats

INDEX_SCHEMA_VERSION = 1


def _stem(path: Path) -> str:
    """A safe file-name prefix from an untrusted name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._")[:60] or "frame"


def _collect(path: Path, mode: str, fps: float, size: int, stats: DecodeStats) -> list[dict]:
    """(record, image) pairs for the chosen mode."""
    from ..frames import Sampling, iter_frames
    from ..shots import keyframes

    if mode == "shots":
        return [
            {
                "time": k.time,
                "pts_time": k.pts_time,
                "index": k.index,
                "shot": k.shot,
                "shot_start": k.shot_start,
                "shot_end": k.shot_end,
                "image": k.image,
            }
            for k in keyframes(path, size=size, stats=stats)
        ]
    sampling = Sampling(mode="fps" if mode == "fps" else "keyframes", fps=fps, max_side=size)
    items = []
    for f in iter_frames(path, sampling, stats=stats):
        t = f.time - stats.start_time
        items.append({"time": t, "pts_time": f.time, "index": f.index, "shot": None, "image": f.image})
    return items


def _write(out: Path, name: str, data: bytes) -> None:
    """One file inside ``out``, atomically; a link, FIFO or device planted there is refused."""
    from ..export import paths

    paths.write_bytes(paths.target(out, name), data)


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
def frames_command(file: Path, out: Path, mode: str, fps: float, fmt: str, size: int, as_json: bool) -> None:
    """Save representative frames of FILE as images named by their time.

    Names look like clip_t000012.345_s003.jpg (seconds from the start of the
    video as a player shows it, shot 3); index.json lists every image with its
    time, frame index and shot, and the file's sha256.
    """
    from ..digest import sha256_file
    from ..export import paths
    from ..frames import DecodeStats
    from ..shots import encode_image

    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UnsafePathError("is a link or a file, not a folder; frames go into a folder", path=out)
    stats = DecodeStats()
    items = _collect(file, mode, fps, size, stats)  # raises VerifyError on bad input
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise paths.os_error(exc, out, "create the folder") from exc
    stem = _stem(file)
    images = []
    for item in items:
        shot = f"_s{item['shot']:03d}" if item["shot"] is not None else ""
        name = f"{stem}_t{max(item['time'], 0.0):010.3f}{shot}.{fmt}"
        _write(out, name, encode_image(item.pop("image"), fmt))
        images.append({"file": name, **item})
    index = {
        "schema_version": INDEX_SCHEMA_VERSION,
        "source": file.name,
        "sha256": sha256_file(file),
        "mode": mode,
        "fps": fps if mode == "fps" else None,
        "start_time": stats.start_time,
        "frames_decoded": stats.decoded,
        "corrupt_frames_skipped": stats.corrupt,
        "rotation": stats.rotation,
        "shots": len({i["shot"] for i in images if i["shot"] is not None}) if mode == "shots" else None,
        "images": images,
    }
    _write(out, "index.json", json_text(index, indent=2).encode())
    if as_json:
        click.echo(json_text(index, indent=2))
        return
    plural = "" if len(images) == 1 else "s"
    what = f"{len(images)} image{plural}" + (
        f" from {index['shots']} shot{'' if index['shots'] == 1 else 's'}"
        if mode == "shots"
        else f" ({mode})"
    )
    click.echo(f"{safe_text(file.name)}: {what} -> {safe_text(str(out))}")
    for i in images:
        shot = f"  shot {i['shot']}" if i["shot"] is not None else ""
        click.echo(f"  {i['time']:9.3f} s  frame {i['index']:>6}{shot}  {safe_text(i['file'])}")
    if stats.corrupt:
        click.echo(f"  note: {stats.corrupt} corrupt frames were skipped")
    click.echo(f"  index: {safe_text(str(out / 'index.json'))}")


def register(cli: click.Group) -> None:
    cli.add_command(frames_command)
