"""The side-by-side evidence video of a mirrored, cropped (and sped-up) copy shows both sides in step."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import imagehash
import numpy as np
import pytest
from PIL import Image

from tests.test_report_fixtures import mirrored_pair
from verify.evidence import EvidenceError, ffmpeg_binary, font_file, render_evidence
from verify.frames import Sampling, iter_frames
from verify.probe import probe

pytestmark = pytest.mark.slow

H = 240  # output height; each side is then 320 px wide (query 256x192 → 320x240, reference 320x240)


def _match(speed: float) -> SimpleNamespace:
    """The match a matcher reports for ``mirrored_pair``: query 0–2 s ↔ reference 1–(1+2·speed) s."""
    prov = SimpleNamespace(title="Agency <b>clip</b> 2019")
    return SimpleNamespace(
        query_start=0.0, query_end=2.0, reference_start=1.0, reference_end=1.0 + 2.0 * speed, speed=speed,
        offset=1.0, mirrored=True, crop="crop80", reference=SimpleNamespace(provenance=prov),
    )  # fmt: skip


def _phash(img: np.ndarray) -> imagehash.ImageHash:
    return imagehash.phash(Image.fromarray(np.ascontiguousarray(img)))


def _halves(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left half (query, un-mirrored, shows the centre 80%) and the same area of the right half.

    Rows 40–200 of the left side are clear of the labels; they show reference rows 56–184.
    """
    left = frame[40:200, :320]
    right = frame[:, 320:][56:184, 32:288]
    right = np.asarray(
        Image.fromarray(right).resize((left.shape[1], left.shape[0]), Image.Resampling.BILINEAR)
    )
    return left, right


@pytest.mark.parametrize("speed", [1.0, 1.25])
def test_mirrored_cropped_copy_plays_in_step(tmp_path: Path, speed: float) -> None:
    query, ref = mirrored_pair(tmp_path, speed=speed)
    seen: list[float] = []
    out = render_evidence(query, ref, _match(speed), tmp_path / "evidence.mp4", height=H,
                          progress=lambda d, t: seen.append(d))  # fmt: skip
    info = probe(out)
    assert info.video is not None and info.video.codec == "h264"
    assert (info.video.width, info.video.height) == (640, H)
    assert abs((info.container.duration or 0) - 2.0) < 0.15
    assert seen and seen[-1] == pytest.approx(2.0)
    frames = list(iter_frames(out, Sampling(mode="fps", fps=4)))
    assert len(frames) >= 7
    in_step, mirrored, shifted = [], [], []
    for a, b in zip(frames, frames[2:]):  # b is 0.5 s later
        left, right = _halves(a.image)
        in_step.append(_phash(left) - _phash(right))
        mirrored.append(_phash(left[:, ::-1]) - _phash(right))
        shifted.append(_phash(left) - _phash(_halves(b.image)[1]))
    assert max(in_step) <= 12, in_step
    assert min(mirrored) > max(in_step) and np.mean(mirrored) >= 20, mirrored  # the mirror really was undone
    assert np.mean(shifted) > np.mean(in_step) + 6, (in_step, shifted)  # and they are in step, not just alike


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    query, ref = mirrored_pair(tmp_path)
    with pytest.raises(EvidenceError, match="no such clip"):
        render_evidence(tmp_path / "absent.mp4", ref, _match(1.0), tmp_path / "e.mp4")
    with pytest.raises(EvidenceError, match="output folder"):
        render_evidence(query, ref, _match(1.0), tmp_path / "nope" / "e.mp4")
    with pytest.raises(EvidenceError, match="height"):
        render_evidence(query, ref, _match(1.0), tmp_path / "e.mp4", height=31)


def test_binary_and_font_come_without_system_packages() -> None:
    assert Path(ffmpeg_binary()).is_file()
    assert font_file().endswith("Vera.ttf") and "reportlab" in font_file()
