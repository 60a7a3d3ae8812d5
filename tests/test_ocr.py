"""OCR: text read from generated frames and clips, merged across frames, leads, offline, searchable."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.media import make_video
from verify import serial
from verify.cli import main
from verify.library import Library, schema
from verify.ocr import OcrResult, TextItem, read_text
from verify.ocr.leads import find_leads
from verify.ocr.merge import alike, iou, merge
from verify.ocr.model import Detection

ROOT = Path(__file__).resolve().parent.parent
PLUME = ROOT / "samples" / "viral" / "smoke-plume-claim.mp4"


def picture(
    texts: list[tuple[str, tuple[int, int]]], w: int = 640, h: int = 360, seed: int = 0
) -> np.ndarray:
    """A dark textured frame with white text at the given pixel positions (RGB uint8)."""
    rng = np.random.default_rng(seed)
    base = (rng.random((h // 8, w // 8, 3)) * 60 + 20).astype(np.uint8)
    img = Image.fromarray(np.kron(base, np.ones((8, 8, 1), dtype=np.uint8)))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=30)
    for text, (x, y) in texts:
        draw.text((x, y), text, font=font, fill=(255, 255, 255))
    return np.asarray(img)


HANDLE = ("@storm_watcher", (20, 310))
CAPTION = ("FLOOD IN LYON 12.03.2024", (20, 20))


@pytest.fixture(scope="module")
def result() -> OcrResult:
    frames = [(0.0, picture([HANDLE], seed=1)), (1.5, picture([HANDLE, CAPTION], seed=2)),
              (3.0, picture([HANDLE, CAPTION], seed=3))]  # fmt: skip
    return read_text(frames)


def _item(r: OcrResult, word: str) -> TextItem:
    return next(i for i in r.items if word.lower() in i.text.lower())


def test_text_is_read_with_span_box_and_confidence(result: OcrResult) -> None:
    assert result.frames_read == 3 and result.engine.startswith("rapidocr")
    handle = _item(result, "storm")
    assert handle.text == "@storm_watcher"
    assert (handle.first, handle.last, handle.frames) == (0.0, 3.0, 3)
    x0, y0, x1, y1 = handle.box
    assert 0.0 <= x0 < 0.1 and 0.8 < y0 < y1 <= 1.0 and x1 < 0.6  # bottom left, normalised
    assert 0.6 <= handle.confidence <= 1.0
    caption = _item(result, "lyon")
    assert caption.first == 1.5 and caption.last == 3.0 and caption.box[1] < 0.2
    assert len(result.items) == 2  # merged across frames: one item per text and place


def test_leads(result: OcrResult) -> None:
    leads = {(lead.kind, lead.value) for lead in result.leads}
    assert ("handle", "@storm_watcher") in leads
    assert ("date", "12.03.2024") in leads
    assert ("watermark", "@storm_watcher") in leads  # at the edge in every frame read


def test_roundtrip(result: OcrResult) -> None:
    assert serial.loads(OcrResult, serial.dumps(result)) == result
    assert result.text().splitlines() == [i.text for i in result.items]


def test_merge_keeps_places_apart() -> None:
    a, b = (0.05, 0.05, 0.3, 0.1), (0.6, 0.85, 0.9, 0.9)
    readings = [(0.0, Detection("LIVE", 0.9, a)), (1.0, Detection("LIVE", 0.9, b)),
                (2.0, Detection("LlVE", 0.8, a))]  # fmt: skip
    items = merge(readings)
    assert len(items) == 2
    top = next(i for i in items if i.box[1] < 0.5)
    assert (top.first, top.last, top.frames, top.variants) == (0.0, 2.0, 2, ("LlVE",))
    assert iou(a, a) == 1.0 and iou(a, b) == 0.0
    assert alike("@newsflash_now· 1.2M views", "@newsflash_now · 1.2M views")
    assert not alike("BREAKING NEWS", "WEATHER")


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("follow @Jane.Doe_99 now", "handle", "@Jane.Doe_99"),
        ("mail me: a@b.com", "url", None),  # an e-mail is no handle and its domain no lead
        ("see www.example.org/live", "url", "www.example.org/live"),
        ("https://t.co/abc", "url", "https://t.co/abc"),
        ("news24.tv", "url", "news24.tv"),
        ("#breaking #флуд", "hashtag", "#breaking"),
        ("2024-03-01 18:45", "date", "2024-03-01"),
        ("2024-03-01 18:45", "time", "18:45"),
        ("12 March 2024", "date", "12 March 2024"),
        ("March 12, 2024", "date", "March 12, 2024"),
        ("price 12.5", "date", None),
    ],
)
def test_lead_patterns(text: str, kind: str, value: str | None) -> None:
    item = TextItem(text, 0.0, 0.0, (0.4, 0.4, 0.6, 0.5), 0.9, 1)
    found = [lead.value for lead in find_leads([item], 1) if lead.kind == kind]
    if value is None:
        assert not found, found
    else:
        assert value in found


def test_bad_frames() -> None:
    with pytest.raises(ValueError):
        read_text([(0.0, np.zeros((10, 10, 3), dtype=np.float32))])
    r = read_text([(0.0, np.zeros((4, 4, 3), dtype=np.uint8)), (1.0, np.zeros((64, 64), dtype=np.uint8))])
    assert r.frames_read == 2 and r.items == ()


_OFFLINE = """
import socket, sys
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
        raise RuntimeError("network used: " + event)
sys.addaudithook(hook)
sys.path.insert(0, sys.argv[1])
from tests.test_ocr import picture
from verify.ocr import read_text
r = read_text([(0.0, picture([("@offline_check", (20, 300))]))])
print(r.text())
"""


@pytest.mark.slow
def test_nothing_is_fetched_at_run_time(tmp_path: Path) -> None:
    """The engine loads and reads in a subprocess whose audit hook refuses every socket connection and
    name lookup; where this runs as root with `unshare`, that subprocess also has no network at all."""
    cmd = [sys.executable, "-c", _OFFLINE, str(ROOT)]
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        cmd = [unshare, "-n", *cmd]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "@offline_check" in run.stdout


def _text_clip(path: Path) -> Path:
    frames = {k: picture([HANDLE] + ([CAPTION] if k >= 1 else []), seed=k) for k in range(3)}
    return make_video(
        path, seconds=3.0, fps=10, width=640, height=360, painter=lambda i, t: frames[min(2, int(t))]
    )


@pytest.mark.slow
def test_file_cli_and_library_search(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = _text_clip(tmp_path / "burned.mp4")
    assert main(["text", str(clip), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any("storm_watcher" in i["text"] for i in data["items"])
    assert (
        main(["frames", str(clip), "--out", str(tmp_path / "f"), "--mode", "fps", "--fps", "1", "--ocr"]) == 0
    )
    index = json.loads((tmp_path / "f" / "index.json").read_text())
    assert any("storm_watcher" in i["text"] for i in index["ocr"]["items"])
    capsys.readouterr()
    assert main(["probe", str(clip), "--json", "--ocr"]) == 0
    assert "ocr" in json.loads(capsys.readouterr().out)
    db = tmp_path / "lib.db"
    assert main(["hash", str(clip), "--library", str(db), "--ocr"]) == 0
    with Library(db) as lib:
        assert [r.path for r in lib.references(search="storm_watch")] == [str(clip.resolve())]
        assert lib.references(search="no such words") == []
        stored = lib.text_of(1)
        assert stored is not None and "@storm_watcher" in stored.text()


def test_library_text_and_migration(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "v1.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(
        "CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    for statement in schema.MIGRATIONS[0][2].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO migrations VALUES (1, 'references and fingerprints', '2026-01-01T00:00:00Z')")
    conn.execute("INSERT INTO meta VALUES ('library_id', 'x'), ('generation', '0')")
    conn.execute(
        "INSERT INTO refs (sha256, path, title, added_at) VALUES (?, '/a.mp4', 'old', 'now')", ("a" * 64,)
    )
    conn.close()
    with Library(db) as lib:  # an old library is migrated in place
        assert lib.stats().schema == schema.LATEST
        assert lib.text_of(1) is None
        item = TextItem("Канал 24 @kanal24", 0.0, 4.0, (0.7, 0.02, 0.98, 0.08), 0.9, 3)
        lib.set_text(1, OcrResult(engine="test", items=(item,)))
        assert [r.id for r in lib.references(search="kanal24")] == [1]
        assert lib.text_of("1").items == (item,)
        lib.remove(1)
        assert lib.references(search="kanal24") == []


@pytest.mark.slow
def test_sample_clip_caption_and_handle() -> None:
    """samples/viral/smoke-plume-claim.mp4: the false caption and the poster's handle, with times."""
    from verify.ocr import ocr_file

    r = ocr_file(PLUME)
    texts = [i.text for i in r.items]
    assert any("BREAKING" in t and "smoke" in t for t in texts), texts
    assert any("army camp" in t for t in texts), texts
    handle = next(i for i in r.items if "@newsflash_now" in i.text)
    assert handle.first < 2.0 and handle.last > 8.0 and handle.box[1] > 0.75  # bottom bar, whole clip
    assert ("handle", "@newsflash_now") in {(lead.kind, lead.value) for lead in r.leads}


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("mdn-stream-of-water-audioless.webm", "Audioless Video"),
        ("pigallery2-bunny-1sec.mp4", "ONE BIG RABBIT"),
    ],
)
def test_corpus_title_cards(corpus: Path, name: str, words: str) -> None:
    from verify.ocr import ocr_file

    r = ocr_file(corpus / "files" / name)
    assert any(words.lower() in i.text.lower() for i in r.items), [i.text for i in r.items]


def test_ocr_in_a_child_process_reads_the_same_and_can_be_stopped(result: OcrResult) -> None:
    """The workbench's OCR runs in a child (the engine never stays in the server): same text, its
    progress relayed, a cancel kills the child, a picture it cannot decode is a clear OcrError."""
    from verify.errors import OcrError
    from verify.ocr.child import read_in_child
    from verify.pictures import encode

    frames = [(0.0, picture([HANDLE], seed=1)), (1.5, picture([HANDLE, CAPTION], seed=2)),
              (3.0, picture([HANDLE, CAPTION], seed=3))]  # fmt: skip
    jpegs = [(t, encode(img, quality=95)) for t, img in frames]
    seen: list[tuple[float, float]] = []
    got = read_in_child(jpegs, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (3.0, 3.0) and len(seen) == 3
    assert [i.text for i in got.items] == [i.text for i in result.items]
    assert got.leads == result.leads and got.frames_read == 3

    class Stop(Exception):
        pass

    def stop(done: float, total: float) -> None:
        raise Stop

    before = _children()
    with pytest.raises(Stop):
        read_in_child(jpegs, progress=stop)
    assert _children() == before  # killed and reaped, not left running

    with pytest.raises(OcrError, match="OpenCV"):
        read_in_child([(0.0, b"not a jpeg")])
    with pytest.raises(OcrError, match="more than 0 s"):  # the watchdog kills a child over its time
        read_in_child(jpegs, timeout=0.05)
    assert _children() == before


def _children() -> set[int]:
    import os

    me = str(os.getpid())
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            out.add(int(stat.parent.name))
    return out
