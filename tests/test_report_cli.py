"""End to end through the CLI with a real library and the real matcher:
``report``, ``case save|open|check`` and ``evidence`` on a mirrored, cropped copy of a known clip."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests import media
from tests.test_evidence import _halves, _phash
from verify.cli import main
from verify.frames import Sampling, iter_frames
from verify.library import Library, Provenance

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(query, library, folder): the library holds a 6 s reference; the query is 1–4 s of it, mirrored, cropped."""
    d = tmp_path_factory.mktemp("cli")
    base = media.textured(320, 240, seed=7)
    ref = media.make_video(d / "reference.mp4", seconds=6.0, width=320, height=240, painter=base)

    def paint(i: int, t: float) -> np.ndarray:
        return np.ascontiguousarray(np.fliplr(base(i, 1.0 + t))[24:216, 32:288])

    query = media.make_video(d / "query.mp4", seconds=3.0, width=256, height=192, painter=paint)
    with Library(d / "lib.db") as lib:
        lib.add(ref, Provenance(title="Agency <script>clip</script>", source_url="https://example.org/a"))
    notes = d / "notes.md"
    notes.write_text(
        "# Verdict: false\nOld footage.\n\n## Provenance\nstatus: false\nconfidence: high\nMatch 1.\n"
    )
    return query, d / "lib.db", d


def test_report_command_writes_each_format(
    setup: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    query, lib, d = setup
    out = d / "out"
    assert main(["report", str(query), "--library", str(lib), "-o", str(out / "r.json"), "--notes",
                 str(d / "notes.md")]) == 0  # fmt: skip
    data = json.loads((out / "r.json").read_text())
    assert data["notes"]["verdict"] == "false"
    assert len(data["matches"]) == 1 and data["matches"][0]["match"]["mirrored"] is True
    m = data["matches"][0]
    assert m["match"]["reference"]["provenance"]["title"] == "Agency <script>clip</script>"
    assert m["evidence"] and all(p["query_image"] and p["reference_image"] for p in m["evidence"])
    steps = [e["step"] for e in data["custody"]]
    assert steps[:6] == ["received", "hashed", "probed", "fingerprinted", "frames extracted", "matched"]
    assert "with 1 reference:" in data["custody"][5]["detail"]
    assert steps[-2:] == ["notes edited", "exported"]
    assert main(["report", str(query), "--library", str(lib), "--format", "html", "-o", str(out)]) == 0
    assert list(out.glob("VER-*.html"))
    assert main(["report", str(query), "-o", str(out / "x.pdf"), "--no-keyframes"]) == 0
    assert (out / "x.pdf").read_bytes().startswith(b"%PDF")
    capsys.readouterr()
    assert main(["report", str(query), "-o", str(out / "r.md"), "--notes", str(d / "absent.md")]) == 2
    assert "no such notes file" in capsys.readouterr().err


def test_case_save_open_check_and_tamper(
    setup: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    query, lib, d = setup
    case = d / "c.verify.zip"
    assert (
        main(["case", "save", str(query), "--library", str(lib), "-o", str(case), "--include-original"]) == 0
    )
    assert "sha256 of the case file" in capsys.readouterr().out
    assert main(["case", "check", str(case)]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["case", "open", str(case)]) == 0
    summary = capsys.readouterr().out
    assert "1 match(es)" in summary and "original included" in summary
    # one byte of an evidence frame changed, as an editor would save it
    tampered = d / "t.verify.zip"
    with zipfile.ZipFile(case) as zin, zipfile.ZipFile(tampered, "w") as zout:
        victim = next(n for n in zin.namelist() if n.endswith("-reference.jpg"))
        for info in zin.infolist():
            data = bytearray(zin.read(info))
            if info.filename == victim:
                data[200] ^= 0x10
            zout.writestr(info, bytes(data))
    assert main(["case", "check", str(tampered)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and victim in err and err.count("\n") == 1
    assert main(["case", "open", str(tampered)]) == 2
    assert victim in capsys.readouterr().err


def test_evidence_command(setup: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    query, lib, d = setup
    out = d / "evidence.mp4"
    assert main(["evidence", str(query), "--library", str(lib), "--match", "1", "-o", str(out),
                 "--height", "240"]) == 0  # fmt: skip
    frames = list(iter_frames(out, Sampling(mode="fps", fps=2)))
    assert frames and frames[0].image.shape == (240, 640, 3)
    # the real matcher's match, rendered: both halves show the same picture at each moment
    distances = [_phash(left) - _phash(right) for left, right in (_halves(f.image) for f in frames)]
    assert len(distances) >= 5 and max(distances) <= 12, distances
    assert main(["evidence", str(query), "--library", str(lib), "--match", "3", "-o", str(out)]) == 2
    assert "has 1 match(es), not 3" in capsys.readouterr().err
