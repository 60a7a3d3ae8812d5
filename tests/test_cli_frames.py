"""`verify frames`: images named by time, index.json, one-line errors with exit 2."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests import media
from verify.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_shots_mode_writes_images_and_index(
    shot_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "frames", shot_clip, "--out", out)
    assert code == 0, err
    index = json.loads((out / "index.json").read_text())
    assert index["sha256"] == hashlib.sha256(shot_clip.read_bytes()).hexdigest()
    assert index["mode"] == "shots" and index["shots"] == 3
    assert [i["shot"] for i in index["images"]] == [1, 2, 3]
    for item in index["images"]:
        name = item["file"]
        m = re.fullmatch(r"shots_t(\d{6}\.\d{3})_s(\d{3})\.jpg", name)
        assert (
            m
            and float(m.group(1)) == pytest.approx(item["time"], abs=1e-3)
            and int(m.group(2)) == item["shot"]
        )
        img = cv2.imread(str(out / name))
        assert img is not None and img.shape == (120, 160, 3)
        assert item["index"] == round(item["time"] * 25)
    assert "3 images from 3 shots" in stdout and "shots_t" in stdout


def test_fps_mode_png_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = media.make_video(tmp_path / "late clip.ts", seconds=3.0, start=2.0)
    out = tmp_path / "o"
    code, stdout, _ = run(
        capsys,
        "frames",
        clip,
        "--out",
        out,
        "--mode",
        "fps",
        "--fps",
        "2",
        "--format",
        "png",
        "--json",
        "--size",
        "80",
    )
    assert code == 0
    printed = json.loads(stdout)
    assert printed == json.loads((out / "index.json").read_text())
    assert [i["time"] for i in printed["images"]] == pytest.approx([0.0, 0.52, 1.0, 1.52, 2.0, 2.52])
    assert printed["images"][0]["pts_time"] == pytest.approx(2.0) and printed["start_time"] == pytest.approx(
        2.0
    )
    assert printed["images"][1]["file"] == "late_clip_t000000.520.png"
    img = cv2.imread(str(out / printed["images"][1]["file"]))
    assert img.shape == (60, 80, 3)


def test_keyframes_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = media.make_video(tmp_path / "k.mp4", seconds=2.0, gop=25)
    code, stdout, _ = run(capsys, "frames", clip, "--out", tmp_path / "k", "--mode", "keyframes", "--json")
    assert code == 0
    assert [i["time"] for i in json.loads(stdout)["images"]] == pytest.approx([0.0, 1.0])


def bad_inputs(tmp_path: Path) -> list[Path]:
    text = tmp_path / "notes.mp4"
    text.write_text("definitely not a video\n")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    return [text, empty, tmp_path / "missing.mp4", media.make_audio_only(tmp_path / "a.m4a")]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in bad_inputs(tmp_path):
        code, stdout, err = run(capsys, "frames", path, "--out", tmp_path / "never")
        assert code == 2, err
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
        assert str(path) in err and stdout == ""
    assert not (tmp_path / "never").exists()


def test_usage_errors_exit_2(shot_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "frames", shot_clip)  # --out missing
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    code, _, err = run(capsys, "frames", shot_clip, "--out", tmp_path / "x", "--mode", "every")
    assert code == 2
    code, out, _ = run(capsys, "frames", "--help")
    assert code == 0 and "--mode" in out and "index.json" in out


def test_unwritable_out_is_a_clean_error(
    shot_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "frames", shot_clip, "--out", blocker / "sub")
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_every_bad_corpus_file_is_exit_0_or_2(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = json.loads((corpus / "manifest.json").read_text())["files"]
    names = [e["name"] for e in entries if e["category"] in ("malformed/odd", "image-malformed/odd")]
    assert len(names) > 30
    for n, name in enumerate(names):
        out = tmp_path / f"o{n}"
        code, _, err = run(capsys, "frames", corpus / "files" / name, "--out", out, "--size", "64")
        assert code in (0, 2), (name, err)
        if code == 2:
            assert err.startswith("error: ") and err.count("\n") == 1, (name, err)
        else:
            index = json.loads((out / "index.json").read_text())
            assert index["images"] and all((out / i["file"]).is_file() for i in index["images"]), name
            assert np.isfinite([i["time"] for i in index["images"]]).all()
