"""``verify text FILE``: the text burned into a clip's keyframes (OCR), with its leads.

Runs a local OCR engine (RapidOCR on ONNX Runtime, models inside the package; nothing is
downloaded or sent) on the keyframes of FILE.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import serial
from ..text import safe_text
from .views import ocr_lines


@click.command("text")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--max-keyframes", default=24, show_default=True, type=click.IntRange(1, 500),
              help="Most keyframes read.")  # fmt: skip
@click.option("--size", default=960, show_default=True, type=click.IntRange(64, 4096),
              help="Longest side of the keyframes read, pixels.")  # fmt: skip
@click.option("--min-confidence", default=0.6, show_default=True, type=click.FloatRange(0, 1),
              help="Drop readings below this confidence.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the full record as JSON.")
def text_command(file: Path, max_keyframes: int, size: int, min_confidence: float, as_json: bool) -> None:
    """Read the text on screen of FILE's keyframes: each text with its time span, position and
    confidence, and the leads in it (handles, URLs, hashtags, dates, times, watermarks)."""
    from ..ocr import OcrSettings, ocr_file

    result = ocr_file(
        file, OcrSettings(min_confidence=min_confidence), max_keyframes=max_keyframes, size=size
    )
    if as_json:
        click.echo(json.dumps(serial.to_jsonable(result), ensure_ascii=False, indent=2))
        return
    click.echo(safe_text(file.name))
    click.echo("\n".join(ocr_lines(result)))


def register(cli: click.Group) -> None:
    cli.add_command(text_command)
