"""Safe by default, proved in the real browser (issue 8): the workbench stays on this machine and
hostile files stay inert.

The workbench is started as the README says (``.venv/bin/streamlit run app.py`` from the repository
folder, its ``.streamlit/config.toml``; only ``--server.port`` is added, a free port, because 8501
may be taken where tests run in parallel) with an empty data folder. Debian's chromium, driven by
Playwright, uploads a clip whose file name, title/comment/artist tags, make/model and GPS tag carry
Markdown images, links and HTML, and visits every page; the clip is added to the library with a
hostile title and a ``javascript:`` source, matched, removed; a case file with hostile member names
is opened; a non-media file with a hostile name is uploaded. Asserted throughout:

* no request leaves 127.0.0.1: every browser request is recorded (and any non-local one aborted),
  every connection attempt, send and name look-up of the server is logged by an audit hook and by
  ``strace -f`` (when it can run);
* the server listens on 127.0.0.1 only (its sockets, read from /proc);
* no hostile markup is live in the DOM (no element with an attacker ``src``/``href``, no
  ``javascript:``/``data:`` link, no injected tag) and the hostile text is visible as text.

A second test uploads 256 MB through the page and closes it once the bytes are on the server, and
another transfer mid-way: the server's memory does not grow by the upload, nothing is left behind.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from tests import media
from tests import workbench as wb

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.xdist_group("workbench"),
    pytest.mark.skipif(not wb.CHROMIUM.exists(), reason="Debian chromium is not installed"),
]

IMG = "![q](https://attacker.example/tag.png)"
#: file names cannot hold "/": the issue's own example, plus HTML, a javascript: link and bold
NAME = (
    "![q](https:attacker.example) <b>nametag [x](javascript:alert(1)) **boldname** www.attacker.example.mp4"
)
TAGS = {
    "title": f"{IMG} **bold title** <img src=https://attacker.example/t.png> [x](javascript:alert(1))",
    "comment": "[d](data:text/html,<b>hi</b>) www.attacker.example/c https://attacker.example/c",
    "artist": "<b>artist</b> `code` a@attacker.example",
    "com.apple.quicktime.make": f"{IMG} Make<script>alert(1)</script>",
    "com.apple.quicktime.model": "**Model** [m](javascript:alert(2))",
    # a backtick and a Markdown image break out of a code span (the Overview's "as written")
    "com.apple.quicktime.location.ISO6709": "+52.2097-000.8955CRS` ![g](https:attacker.example) `",
}
LIB_TITLE = "![t](https://attacker.example/lib.png) **libtitle** <i>itag</i> [l](javascript:alert(3))"
LIB_SOURCE = "javascript:alert(document.domain)"
MEMBER = "images/![c](https:attacker.example) <b>membertag **member**.jpg"
#: the whole text of a live element only if hostile Markdown was interpreted (**x**, [x](...), `x`)
MARKERS = ["boldname", "bold title", "Model", "libtitle", "member", "q", "x", "d", "m", "g", "t", "l", "c", "hi",
           "code"]  # fmt: skip
#: words inside hostile HTML tags (<b>nametag ...): any element of that kind holding them is live HTML
HTML_MARKERS = ["nametag", "artist", "itag", "membertag", "notmedia", "foldertag", "foundtag", "btag"]
#: hostile text that must be on the page, as written
VISIBLE = {
    "overview": ["<b>nametag", "**boldname**", "Make<script>alert(1)</script>", "**Model** [m](javascript:alert(2))",
                 "+52.2097-000.8955CRS` ![g](https:attacker.example) `"],
    "library": [LIB_TITLE],
    "export": ["<b>membertag **member**.jpg"],
}  # fmt: skip

DOM_CHECK = """([markers, htmlMarkers]) => {
  const bad = [];
  const attrs = ['src', 'href', 'srcset', 'poster', 'action', 'formaction', 'xlink:href', 'background'];
  for (const el of document.querySelectorAll('*')) {
    for (const a of attrs) {
      const v = el.getAttribute(a);
      if (!v) continue;
      const low = v.trim().toLowerCase();
      if (low.includes('attacker') || low.startsWith('javascript:') || low.startsWith('vbscript:')
          || (low.startsWith('data:') && !low.startsWith('data:image/'))) {
        bad.push(`${el.tagName} ${a}=${v.slice(0, 100)}`);
      }
    }
  }
  for (const s of document.querySelectorAll('script')) {
    if ((s.textContent || '').includes('alert(')) bad.push('SCRIPT ' + s.textContent.slice(0, 100));
  }
  for (const el of document.querySelectorAll('iframe, object, embed, frame')) bad.push(el.tagName);
  for (const el of document.querySelectorAll('a, img, b, strong, i, em, code, del, s, u, mark, h1, h2, h3, h4, li, blockquote')) {
    const t = (el.textContent || '').replace(/\\u2060/g, '').trim();
    if (markers.includes(t)) bad.push(`live <${el.tagName.toLowerCase()}>${t}`);
  }
  for (const el of document.querySelectorAll('b, i, u, img, script, style, svg title')) {
    const t = (el.textContent || '') + ' ' + (el.getAttribute('alt') || '');
    if (htmlMarkers.some(m => t.includes(m))) bad.push(`live html <${el.tagName.toLowerCase()}>${t.slice(0, 80)}`);
  }
  return bad;
}"""


def hostile_clip(path: Path, seconds: float = 4.0) -> Path:
    """A small H.264 MP4 with hostile tags (written as QuickTime metadata keys by FFmpeg's muxer)."""
    import av

    paint = media.textured(160, 120, seed=7)
    fps = 25
    plain = path.with_name("hostile-clip.mp4")  # FFmpeg reads "https:" in a name as a protocol
    with av.open(str(plain), "w", format="mp4", options={"movflags": "use_metadata_tags"}) as out:
        for k, v in TAGS.items():
            out.metadata[k] = v
        vs = out.add_stream("libx264", rate=Fraction(fps))
        vs.width, vs.height, vs.pix_fmt = 160, 120, "yuv420p"
        for i in range(int(seconds * fps)):
            for packet in vs.encode(av.VideoFrame.from_ndarray(paint(i, i / fps), format="rgb24")):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
    return plain.rename(path)


def hostile_case(clip: Path, out: Path) -> Path:
    """A real case file of ``clip`` with an extra member whose name is hostile (not in the manifest)."""
    from verify.analysis import analyse
    from verify.case import save_case
    from verify.report import build_report

    saved = save_case(build_report(analyse(clip)), out.with_name("plain.verify.zip"))
    with zipfile.ZipFile(saved) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr(MEMBER, b"\xff\xd8\xff\xd9")
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[wb.Server]:
    tmp = tmp_path_factory.mktemp("safety")
    with wb.start(tmp) as s:
        yield s
    assert "Traceback" not in s.log.read_text(), s.log.read_text()[-3000:]


def visible_text(page: Any) -> str:
    return page.inner_text("body").replace("\u2060", "")


def settle(page: Any, text: str, timeout: float = 180_000) -> None:
    page.get_by_text(text, exact=False).filter(visible=True).first.wait_for(timeout=timeout)
    page.wait_for_timeout(1500)  # let the reruns that follow a change land


def check_dom(page: Any, where: str, findings: dict[str, list[str]]) -> None:
    bad = page.evaluate(DOM_CHECK, [MARKERS, HTML_MARKERS])
    if bad:
        findings[where] = bad


def goto(page: Any, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).first.click()
    page.wait_for_timeout(1500)


@pytest.mark.timeout(900)
def test_hostile_clip_in_every_page_stays_text_and_nothing_leaves_the_machine(
    server: wb.Server, tmp_path: Path
) -> None:
    clip = hostile_clip(tmp_path / NAME)
    case = hostile_case(clip, tmp_path / "hostile.verify.zip")
    not_media = tmp_path / "![n](https:attacker.example) <b>notmedia.mp4"
    not_media.write_bytes(b"this is a text file, not a video\n" * 20)

    listening = wb.listening_sockets(server.pid)
    requests: list[str] = []
    blocked: list[str] = []
    findings: dict[str, list[str]] = {}
    seen: dict[str, str] = {}
    with wb.browser(requests, blocked) as page:
        page.goto(server.url)
        settle(page, "smoke-plume-claim.mp4")  # first run: sample library built, sample clip open
        page.locator('input[type="file"]').first.set_input_files(str(clip))
        settle(page, "boldname")
        settle(page, "Provenance signals")
        settle(page, "52.209700, -0.895500")
        seen["overview"] = visible_text(page)
        check_dom(page, "overview", findings)

        for name in ("Metadata", "Keyframes"):
            goto(page, name)
            settle(page, "Search fields and values" if name == "Metadata" else "Enlarge")
            seen[name.lower()] = visible_text(page)
            check_dom(page, name.lower(), findings)
        page.get_by_role("button", name="Enlarge").first.click()
        settle(page, "Reverse image search")
        check_dom(page, "keyframe viewer", findings)
        page.keyboard.press("Escape")

        goto(page, "Matches")
        settle(page, "No match in the library")
        check_dom(page, "matches (sample library)", findings)

        # add the hostile clip to the analyst's own library with a hostile title and source
        page.get_by_text("My library", exact=True).first.click()
        page.wait_for_timeout(1500)
        goto(page, "Library")
        page.get_by_role("tab", name="Add the current clip").click()
        check_dom(page, "library add form", findings)
        page.get_by_label("Title").fill(LIB_TITLE)
        page.get_by_label("Source URL").fill(LIB_SOURCE)
        page.get_by_label("Found at (platform, archive, agency)").fill("<b>foundtag</b> www.attacker.example")
        page.get_by_role("button", name="Add to library").click()
        settle(page, "Added as reference #1")

        goto(page, "Matches")
        settle(page, "Seen before")
        settle(page, "libtitle")
        seen["matches"] = visible_text(page)
        check_dom(page, "matches (own library)", findings)

        goto(page, "Library")
        settle(page, "libtitle")
        seen["library"] = visible_text(page)
        check_dom(page, "library browse", findings)
        page.get_by_text("I want to remove this reference from the library").click()
        page.get_by_role("button", name="Remove from library").click()
        page.get_by_text("Removed reference #1").filter(visible=True).first.wait_for(timeout=120_000)
        seen["library removed"] = visible_text(page)
        check_dom(page, "library removed", findings)
        page.get_by_role("tab", name="Add a folder").click()
        page.get_by_label("Folder on this machine").fill(
            "/nonexistent/![f](https:attacker.example) <b>foldertag</b>"
        )
        page.get_by_role("button", name="Add folder").click()
        settle(page, "not a folder on this machine")
        seen["library folder"] = visible_text(page)
        check_dom(page, "library add folder", findings)

        goto(page, "Notes")
        settle(page, "Chain of custody")
        check_dom(page, "notes", findings)

        goto(page, "Export")
        page.get_by_role("tab", name="Open a case file").click()
        uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Open a case file")
        uploader.locator('input[type="file"]').set_input_files(str(case))
        settle(page, "Integrity")
        seen["export"] = visible_text(page)
        check_dom(page, "export (open case)", findings)

        page.locator('input[type="file"]').first.set_input_files(str(not_media))
        settle(page, "not media")
        seen["error"] = visible_text(page)
        check_dom(page, "error message", findings)
        page.screenshot(path=str(tmp_path / "last.png"), full_page=True)

    # a web page elsewhere opening the workbench's socket: refused, and no address look-up follows
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{server.port}/_stcore/stream", origin="https://attacker.example",
                subprotocols=["streamlit"], open_timeout=20).close()  # fmt: skip
    assert refused.value.response.status_code == 403
    time.sleep(3)  # Streamlit used to ask checkip.amazonaws.com now

    events = wb.audit_events(server)
    remote_events = wb.remote_audit_events(events)
    destinations = wb.strace_destinations(server)
    remote_syscalls = [(line, addr) for line, addr in destinations if not wb._is_local_host(addr)]
    report = {
        "listening": listening,
        "browser_requests": sorted({r.split("?")[0] for r in requests if "/static/" not in r}),
        "blocked": blocked,
        "server_audit_events": sorted({f"{e['event']} {json.dumps(e.get('args'))}" for e in events}),
        "strace_destinations": sorted({addr for _, addr in destinations}),
        "strace": server.strace_log is not None,
        "strace_syscalls": wb.strace_calls(server),
        "live_markup": findings,
    }
    wb.ROOT.joinpath("artifacts").mkdir(exist_ok=True)
    wb.ROOT.joinpath("artifacts", "safety-network.json").write_text(json.dumps(report, indent=2))

    assert listening == [f"127.0.0.1:{server.port}"], listening
    assert not blocked, f"the page tried to leave 127.0.0.1: {blocked}"
    assert all(wb.is_local_url(r) for r in requests), [r for r in requests if not wb.is_local_url(r)]
    assert not remote_events, remote_events
    assert not remote_syscalls, remote_syscalls[:5]
    assert any(e["event"] == "socket.bind" for e in events)  # the hook did watch the server
    assert server.strace_log is None or report["strace_syscalls"] > 0  # and so did strace
    assert not findings, findings
    for where, texts in VISIBLE.items():
        for text in texts:
            assert text in seen[where], (where, text)
    assert "Removed reference #1: " + LIB_TITLE in seen["library removed"]
    assert "<b>foldertag</b>" in seen["library folder"]
    assert "<b>notmedia.mp4" in seen["error"]
    assert LIB_SOURCE in seen["library"]  # the javascript: source is shown, as text


@pytest.mark.timeout(600)
def test_an_aborted_upload_leaves_no_memory_and_no_file_behind(server: wb.Server, tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    size = 256 << 20
    with big.open("wb") as fh:
        fh.truncate(size)  # sparse: costs no disk here; the server receives every byte
    incoming = server.data / "uploads" / ".incoming"

    # the case file the first test opened waits in .incoming for its (closed) page's sweep
    earlier = set(incoming.glob("*"))
    received = incoming.parent  # a complete upload leaves .incoming for uploads/ once its page claims it
    earlier_received = set(received.glob("*"))

    def spooled() -> int:
        new = (set(incoming.glob("*")) - earlier) | {p for p in set(received.glob("*")) - earlier_received
                                                      if p.is_file()}  # fmt: skip
        return max((p.stat().st_size for p in new), default=0)

    def upload_and_close(fraction: float) -> tuple[float, float]:
        requests: list[str] = []
        with wb.browser(requests, [], block=False) as page:
            page.goto(server.url)
            settle(page, "Examining")
            page.locator('[data-testid="stFileUploaderDropzone"]').first.wait_for(timeout=120_000)
            before = server.rss_mb()
            page.locator('input[type="file"]').first.set_input_files(str(big), timeout=120_000)
            deadline = time.monotonic() + 240
            while spooled() < fraction * size and time.monotonic() < deadline:
                time.sleep(0.05)
            assert spooled() >= fraction * size, "the upload never reached the server"
        time.sleep(3)  # the tab is closed: the transfer (or the page's claim of it) is gone
        assert all(wb.is_local_url(r) for r in requests), requests
        return before, server.rss_mb()

    mid_before, mid_after = upload_and_close(0.5)
    assert not set(incoming.glob("*")) - earlier, "a transfer that broke off left its file behind"
    full_before, full_after = upload_and_close(1.0)
    for before, after in ((mid_before, mid_after), (full_before, full_after)):
        assert after - before < 64, f"server RSS grew from {before:.0f} MB to {after:.0f} MB"
    print(f"RSS mid-transfer abort {mid_before:.0f} -> {mid_after:.0f} MB; "
          f"after the transfer {full_before:.0f} -> {full_after:.0f} MB")  # fmt: skip
    # the complete upload waits on disk for its page; the server's sweep deletes it once the
    # session is gone (tests/test_ui_uploads.py); it is never in memory
    assert len(set(incoming.glob("*")) - earlier) <= 1


#: The attacks opened through the workbench's Export page (each costs a page load and an upload in
#: chromium; every one of the 66 goes through the same ``open_case(strict=False)`` in-process in
#: tests/test_case_attacks.py and through the CLI in child processes).
WORKBENCH_ATTACKS = ("valid", "zip-slip", "absolute-path", "symlink", "zip-bomb", "zip-bomb-lying",
                     "json-bomb-report", "json-depth-report", "duplicate-report", "duplicate-manifest",
                     "manifest-size-lies", "future-manifest", "original-mismatch", "hostile-strings",
                     "name-50mb", "not-a-zip", "truncated")  # fmt: skip


@pytest.mark.timeout(1200)
def test_hostile_case_files_in_the_workbench_are_refused_or_shown_as_text_in_bounded_memory(
    server: wb.Server, tmp_path: Path
) -> None:
    from tests.hostile_cases import HOSTILE_STRINGS, MAX_MB, build_all

    cases = {c.name: c for c in build_all(tmp_path / "cases")}
    assert set(WORKBENCH_ATTACKS) <= set(cases)
    requests: list[str] = []
    blocked: list[str] = []
    findings: dict[str, list[str]] = {}
    problems: list[str] = []
    rows: list[str] = []  # printed (pytest -s): the numbers for the closing note
    base = server.rss_mb()
    peak = base
    with wb.browser(requests, blocked) as page:
        page.goto(server.url)
        settle(page, "Examining")
        for name in WORKBENCH_ATTACKS:
            case = cases[name]
            goto(page, "Export")
            page.get_by_role("tab", name="Open a case file").click()
            uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Open a case file")
            started = time.monotonic()
            uploader.locator('input[type="file"]').set_input_files(str(case.path))
            alert = page.locator('[data-testid="stAlert"]').filter(visible=True)
            deadline = started + 60
            while time.monotonic() < deadline and alert.count() == 0:
                peak = max(peak, server.rss_mb())
                page.wait_for_timeout(200)
            page.wait_for_timeout(1000)
            seconds = time.monotonic() - started
            peak = max(peak, server.rss_mb())
            text = visible_text(page)
            check_dom(page, f"open case {name}", findings)
            said = " | ".join(alert.all_inner_texts())
            if not said:
                problems.append(f"{name}: nothing said within 60 s")
            elif case.expect in ("ok", "safe") and "Integrity: ok" not in said:
                problems.append(f"{name}: an honest case was not opened: {said[:300]}")
            elif case.expect == "refused" and "Integrity: ok" in said:
                problems.append(f"{name}: a hostile case was shown as intact")
            if "Traceback" in text or "failed unexpectedly" in text:
                problems.append(f"{name}: internals shown: {text[-300:]}")
            if any(s in text for s in HOSTILE_STRINGS[:3]):  # terminal controls never reach the page raw
                problems.append(f"{name}: raw control characters on the page")
            if seconds > 20:
                problems.append(f"{name}: took {seconds:.1f} s")
            rows.append(f"{name}: {seconds:.1f} s, server {server.rss_mb():.0f} MB, said: {said[:90]!r}")
            page.goto(server.url)  # a fresh page for the next attack (the uploader keeps its file)
            settle(page, "Examining")
    print("\n".join([f"server RSS {base:.0f} MB before, {peak:.0f} MB at most", *rows]))
    assert problems == []
    assert findings == {}
    assert peak - base < MAX_MB, f"the server grew from {base:.0f} MB to {peak:.0f} MB"
    assert blocked == [] and all(wb.is_local_url(r) for r in requests)
