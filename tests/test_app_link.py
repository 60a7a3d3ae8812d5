"""The Link tab (AppTest) against a real HTTP server on 127.0.0.1: no internet needed.

The page and clip of ``tests/test_intake_link.py`` are fetched through the tab with yt-dlp's generic
extractor in the background worker; the file is opened like an upload, its site record is shown on
the Overview as text, the site's time joins the provenance signals, and the download's custody
entries come first in the case. A closed port is one readable error line.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from tests.test_app import data, idle, page, sample_data, start, text_of  # noqa: F401
from tests.test_intake_link import site  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workbench")]


def fetch(at, url: str):  # type: ignore[no-untyped-def]
    at.text_input(key="loader.link.url").input(url)
    next(b for b in at.button if b.label == "Fetch").click()
    at.run()
    idle()
    return at.run()


def test_link_tab_fetches_opens_and_records(site: str, data: Path) -> None:  # noqa: F811
    from ui import cases
    from ui.config import DataPaths

    at = start()
    idle()
    assert "Fetching contacts that site (only that one)." in [c.value for c in at.caption]
    at = fetch(at, f"{site}/index.html")
    assert not at.exception and not at.error, [e.value for e in at.error]
    loaded = at.session_state["loader.current"]
    assert loaded.origin == "link" and loaded.path.parent == (data / "links").resolve()
    assert (loaded.path.parent / (loaded.path.name + ".info.json")).is_file()
    idle()
    at = page(at.run(), "overview")
    assert any(s.value == "From the link" for s in at.subheader)
    facts = " ".join(h.proto.body for h in at.get("html"))
    assert (
        "Storm over the harbour" in facts
        and "2024-03-01T12:00:00Z" in facts
        and "HTTP Last-Modified" in facts
    )
    shown = text_of(at)
    assert "upload" in shown.lower()  # the site's time joined the provenance signals
    from ui import analysis

    codes = [s.code for s in analysis.cached_probe(loaded.sha256).signals]
    assert "uploaded_to_platform" in codes and "recorded_after_upload" in codes
    # the case: the download's custody first, then the workbench's own steps
    steps = [e.step for e in cases.load(DataPaths(data).cases, loaded.sha256).custody]
    assert steps[:3] == ["downloaded", "hashed", "received"], steps
    # and the workbench's report carries it
    at = page(at, "export")
    at.radio(key="export.report.format").set_value("JSON")
    next(b for b in at.button if b.label == "Build the report").click()
    at.run(timeout=240)
    report = json.loads(at.session_state["export.report.ready"][2])
    assert [e["step"] for e in report["custody"]][:3] == ["downloaded", "hashed", "received"]
    assert "recorded_after_upload" in [s["code"] for s in report["signals"]]
    # the ClaimReview form starts from the site record: where the claim appeared, and when
    record = json.loads((loaded.path.parent / (loaded.path.name + ".info.json")).read_text())
    assert at.text_input(key="export.claimreview.appearance_url").value == record["webpage_url"]
    assert at.text_input(key="export.claimreview.claim_date").value == record["upload_date"]


def test_link_tab_error_is_one_readable_line(data: Path) -> None:  # noqa: F811
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    at = fetch(start(), f"http://127.0.0.1:{port}/clip.mp4")
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "connection refused" in errors[0] and "\n" not in errors[0].strip(), errors
    assert at.session_state["loader.current"] is None or at.session_state["loader.current"].origin != "link"
