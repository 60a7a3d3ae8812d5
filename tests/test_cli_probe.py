"""``verify probe``: human and JSON output, exit codes, hostile metadata, every malformed corpus file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import media
from tests.conftest import ROOT, corpus_dir
from verify import serial
from verify.cli import main
from verify.probe import MediaInfo, probe

HOSTILE = "<script>alert(1)</script>\x1b[31mRED\x1b[0m\nsecond line\u202eevil" + "A" * 20000


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["probe", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_human_output_has_sections(capsys: pytest.CaptureFixture[str], clip: Path) -> None:
    rc, out, err = run(capsys, str(clip))
    assert rc == 0 and err == ""
    for heading in ("File ", "Container ", "Streams", "Picture ", "C2PA ", "Signals", "Tags"):
        assert heading in out
    assert probe(clip).file.sha256 in out
    assert "#0 video h264" in out and "Processed with FFmpeg" in out


def test_json_is_the_full_record(capsys: pytest.CaptureFixture[str], clip: Path) -> None:
    rc, out, _ = run(capsys, str(clip), "--json")
    assert rc == 0
    assert serial.from_jsonable(MediaInfo, json.loads(out)) == probe(clip)


def test_pair_option(capsys: pytest.CaptureFixture[str], tmp_path: Path, clip: Path) -> None:
    still = media.make_still(tmp_path / "s.png")
    rc, out, _ = run(capsys, str(clip), "--pair", str(still), "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["pair"]["file"]["format"] == "png" and isinstance(data["pair_signals"], list)
    rc, out, _ = run(capsys, str(still), "--pair", str(clip))
    assert rc == 0 and "Pair signals" in out


@pytest.mark.parametrize("case", ["missing", "empty", "text.mp4", "folder", "too-large", "bad-size"])
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, clip: Path, case: str
) -> None:
    args = {
        "missing": [str(tmp_path / "gone.mp4")],
        "empty": [str(tmp_path / "empty.mov")],
        "text.mp4": [str(tmp_path / "text.mp4")],
        "folder": [str(tmp_path)],
        "too-large": [str(clip), "--max-size", "1K"],
        "bad-size": [str(clip), "--max-size", "lots"],
    }[case]
    (tmp_path / "empty.mov").write_bytes(b"")
    (tmp_path / "text.mp4").write_text("not a video, just some words\n" * 20)
    rc, out, err = run(capsys, *args)
    assert rc == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--help"]) == 0
    assert "--json" in capsys.readouterr().out


def test_hostile_metadata_kept_in_json_neutralised_for_humans(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = media.make_video(tmp_path / "hostile.mp4", seconds=0.3, metadata={"title": HOSTILE})
    rc, out, _ = run(capsys, str(path), "--json")
    assert rc == 0
    assert json.loads(out)["container"]["tags"]["title"] == HOSTILE  # verbatim
    rc, out, _ = run(capsys, str(path))
    assert rc == 0
    assert "\x1b" not in out and "\u202e" not in out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("title = "))
    assert "^[[31mRED^[[0m^Jsecond line<U+202E>evil" in line  # one line, escapes visible
    assert "[truncated:" in line and len(line) < 1000
    assert "<script>alert(1)</script>" in line  # harmless on a terminal; HTML exporters escape it


def _malformed() -> list[str]:
    c = corpus_dir()
    if c is None:
        return ["(no corpus)"]
    entries = json.loads((c / "manifest.json").read_text())["files"]
    return [e["name"] for e in entries if e["category"] in ("malformed/odd", "image-malformed/odd")]


@pytest.mark.corpus
@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", _malformed())
def test_malformed_corpus_file_gives_result_or_one_line_error(
    capsys: pytest.CaptureFixture[str], corpus: Path, name: str
) -> None:
    rc, out, err = run(capsys, str(corpus / "files" / name), "--json")
    assert rc in (0, 2), err
    if rc == 0:
        assert json.loads(out)["file"]["name"] == name
    else:
        assert out == "" and err.startswith("error: ") and err.count("\n") == 1 and name in err


@pytest.mark.slow
def test_python_dash_m_verify_probe(tmp_path: Path, clip: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run([sys.executable, "-m", "verify", "probe", str(clip), "--json"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=120)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["file"]["sha256"] == probe(clip).file.sha256
    bad = subprocess.run([sys.executable, "-m", "verify", "probe", str(tmp_path / "missing.mp4")], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: ") and bad.stderr.count("\n") == 1
