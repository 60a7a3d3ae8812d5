"""``verify report``, ``case save`` and ``evidence`` against a shared PostgreSQL library (issue 13):
``--library`` takes the same ``postgresql://`` URL as ``hash`` and ``match``."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STREAM = ROOT / "samples" / "known" / "stream-of-water.mp4"

pytestmark = pytest.mark.slow


def test_report_case_and_evidence_take_a_postgresql_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.pg import schema_url
    from verify.cli import main

    with schema_url() as base:
        url = f"{base}&password=hunter2"  # trust authentication ignores it; no record may carry it
        assert main(["hash", str(STREAM), "--library", url, "--title", "Stream, agency archive"]) == 0
        capsys.readouterr()
        out = tmp_path / "report.json"
        assert main(["report", str(STREAM), "--library", url, "-o", str(out), "--no-keyframes"]) == 0
        report = json.loads(out.read_text())
        [m] = report["matches"]
        assert m["match"]["reference"]["provenance"]["title"] == "Stream, agency archive"
        assert report["library"]["references"] == 1
        assert report["library"]["path"] == "verify_test"  # published: the database's name
        full = tmp_path / "internal.json"
        assert (
            main(["report", str(STREAM), "--library", url, "-o", str(full), "--no-keyframes", "--full-paths"])
            == 0
        )
        record = full.read_text()
        # the internal record: where the library is, never who logged in with what, nor the options
        assert json.loads(record)["library"]["path"] == "postgresql://localhost/verify_test"
        assert "hunter2" not in record and "search_path" not in record and "user=" not in record
        case = tmp_path / "stream.verify.zip"
        assert main(["case", "save", str(STREAM), "--library", url, "-o", str(case)]) == 0
        with zipfile.ZipFile(case) as z:
            assert json.loads(z.read("report.json"))["matches"][0]["match"]["score"] == 1.0
        video = tmp_path / "evidence.mp4"
        assert main(["evidence", str(STREAM), "--library", url, "-o", str(video), "--height", "120"]) == 0
        assert video.stat().st_size > 1000
