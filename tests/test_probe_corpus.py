"""probe() against the whole corpus: agreement with ffprobe 5.1 / exiftool 12.57 (manifest.json).

Every file in the manifest is a test case. Where we knowingly disagree with the
reference tools the case is listed in ``KNOWN`` with the reason; a listed case
that starts to agree fails too, so the list stays honest.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import corpus_dir
from verify.errors import VerifyError
from verify.probe import MediaInfo, probe
from verify.probe.exif import parse_time
from verify.probe.signals import pair_signals

pytestmark = pytest.mark.corpus


def _manifest() -> list[dict[str, Any]]:
    c = corpus_dir()
    if c is None or not (c / "manifest.json").is_file():
        return []
    return json.loads((c / "manifest.json").read_text())["files"]


MANIFEST = _manifest()
NAMES = [e["name"] for e in MANIFEST] or ["(no corpus)"]

#: (file, field) -> why we differ from ffprobe 5.1 / exiftool on purpose or by tool version.
KNOWN: dict[tuple[str, str], str] = {
    ("gopro-karma.mp4", "duration"): "FFmpeg 8 counts the GoPro timecode/telemetry tracks in the container "
    "duration (13.01 s); ffprobe 5.1 gave the 12.08 s of the picture",
    (
        "exiftool-QuickTime.mov",
        "duration",
    ): "ExifTool stub with its media data stripped: FFmpeg 8 derives 0.43 s "
    "from what is left of the sample table, ffprobe 5.1 took the 4.97 s header value",
    (
        "exiftool-QuickTime.m4a",
        "duration",
    ): "ExifTool stub with its media data stripped: FFmpeg 8 reads 10.3 s "
    "from the remaining audio track, ffprobe 5.1 the 29.06 s header value",
    ("exiftool-DV.dv", "fps"): "one-frame DV stub: FFmpeg 8 computes an average rate from a single frame "
    "(60000/1), ffprobe 5.1 printed the nominal 25",
    ("exifs-iphone-13-pro-max.heic", "size"): "we report the displayed size (libheif applies the HEIF irot "
    "rotation, 3024x4032); exiftool reports the coded ispe size 4032x3024",
    (
        "pigallery2-IMG_7943.heic",
        "size",
    ): "the HEIF clean-aperture box crops the 134 coded rows to 133; exiftool "
    "reports the uncropped ispe size",
    ("gopro-max-heromode.mp4", "model"): "exiftool reads 'GoPro Max' from GoPro's own udta/GPMF boxes, which "
    "FFmpeg does not expose; we report make GoPro (handler names) and the firmware tag",
    (
        "exiftool-QuickTime.mov",
        "make",
    ): "exiftool maps the free-text QuickTime comment 'PENTAX DIGITAL CAMERA' "
    "to Make; we do not treat a comment as a device make (it stays in the tags)",
    (
        "hachoir-pentax-320x240.mov",
        "make",
    ): "same as exiftool-QuickTime.mov: Make taken from a free-text comment",
    (
        "exifs-Reconyx-trailcam.jpg",
        "date",
    ): "the date sits in Reconyx's MakerNote, which exifread (details=False) does not decode",
    ("immich-thompson-springs-gps.jpg", "date"): "DateTimeOriginal is only in XMP; exifread reads EXIF only",
    (
        "exiftool-MXF.mxf",
        "time",
    ): "exiftool's CreateDate comes from the MXF modification date; FFmpeg reports it "
    "as modification_date, which is not a creation time",
}


def _entry(name: str) -> dict[str, Any]:
    return next(e for e in MANIFEST if e["name"] == name)


def _check(name: str, what: str, ok: bool, detail: str) -> list[str]:
    """Returns a failure message, or [] — honouring (and policing) the KNOWN list."""
    known = (name, what) in KNOWN
    if ok and known:
        return [f"{what}: listed as a known disagreement but now agrees; drop it from KNOWN"]
    if not ok and not known:
        return [f"{what}: {detail}"]
    return []


def _as_utc(text: str) -> datetime | None:
    t = parse_time("exiftool", text)
    inst = t.instant() if t.local else None
    if inst is None:
        return None
    return (
        inst.astimezone(UTC) if inst.tzinfo else inst.replace(tzinfo=UTC)
    )  # exiftool QuickTime dates are UTC


def _compare(e: dict[str, Any], info: MediaInfo) -> list[str]:
    name, ex = e["name"], e["exiftool"]
    bad: list[str] = []
    bad += _check(
        name, "sha256", info.file.sha256 == e["sha256"] and info.file.size == e["size"], "hash/size"
    )
    if info.image is None:  # video / audio: ffprobe fields
        v = info.video
        if e["width"] and e["kind"] == "video":
            got = (v.width, v.height) if v else None
            bad += _check(
                name, "size", got == (e["width"], e["height"]), f"{got} vs {e['width']}x{e['height']}"
            )
        if e["duration"] is not None:
            d = info.container.duration
            ok = d is not None and abs(d - e["duration"]) <= max(0.05, 0.01 * e["duration"])
            bad += _check(name, "duration", ok, f"{d} vs {e['duration']}")
        if e["kind"] == "video" and e["width"]:
            bad += _check(
                name, "rotation", info.rotation == (e["rotation"] or 0), f"{info.rotation} vs {e['rotation']}"
            )
        if e["fps"] and v is not None and v.avg_frame_rate:
            ok = abs(v.avg_frame_rate - e["fps"]) <= 0.01 * e["fps"]
            bad += _check(name, "fps", ok, f"{v.avg_frame_rate} vs {e['fps']}")
        for key in ("creation_time", "com.apple.quicktime.creationdate"):
            if key in e["tags"]:
                t = next((t for t in info.creation_times if t.source == f"format:{key}"), None)
                ok = t is not None and t.raw == e["tags"][key] and t.local is not None
                bad += _check(name, "time", ok, f"{key}: {t} vs {e['tags'][key]}")
        if isinstance(ex.get("CreateDate"), str) and _as_utc(ex["CreateDate"]) is not None:
            want = _as_utc(ex["CreateDate"])
            got = [t.instant() for t in info.creation_times if t.source.startswith("format:") and t.utc]
            ok = any(g is not None and abs((g - want).total_seconds()) < 1 for g in got)
            bad += _check(name, "time", ok, f"exiftool CreateDate {ex['CreateDate']} not among {got}")
    else:  # stills: exiftool fields
        img = info.image
        if "ImageWidth" in ex:
            got = (img.width, img.height)
            bad += _check(name, "size", got == (ex["ImageWidth"], ex["ImageHeight"]), f"{got} vs exiftool")
        if isinstance(ex.get("DateTimeOriginal"), str) and ex["DateTimeOriginal"][:4] != "0000":
            dto = img.exif.datetime_original if img.exif else None
            ok = dto is not None and dto.raw[:19] == ex["DateTimeOriginal"][:19]
            bad += _check(name, "date", ok, f"{dto and dto.raw} vs {ex['DateTimeOriginal']}")
    for key, attr in (("Make", "make"), ("Model", "model")):
        if isinstance(ex.get(key), str):
            got = getattr(info.device, attr)
            bad += _check(name, attr, (got or "").strip() == ex[key].strip(), f"{got!r} vs {ex[key]!r}")
    if isinstance(ex.get("GPSLatitude"), int | float):
        lat, lon = ex["GPSLatitude"], ex["GPSLongitude"]
        if lat == 0 and lon == 0:
            ok = any(g.null_island for g in info.gps_all)
        else:
            ok = any(g.latitude is not None and abs(g.latitude - lat) < 1e-4 and abs(g.longitude - lon) < 1e-4
                     for g in info.gps_all)  # fmt: skip
        bad += _check(name, "gps", ok, f"{[(g.latitude, g.longitude) for g in info.gps_all]} vs {lat}, {lon}")
    return bad


@pytest.mark.parametrize("name", NAMES)
def test_agrees_with_manifest(corpus: Path, name: str) -> None:
    e = _entry(name)
    path = corpus / "files" / name
    try:
        info = probe(path)
    except VerifyError as exc:
        # only files ffprobe could not open either (or empty ones) may fail, with one clean line
        assert e["size"] == 0 or not e["ffprobe_ok"], f"{name}: {exc}"
        assert "\n" not in str(exc) and name in str(exc)
        return
    problems = _compare(e, info)
    assert not problems, f"{name}: " + "; ".join(problems)


def test_known_disagreements_name_real_files(corpus: Path) -> None:
    names = {e["name"] for e in MANIFEST}
    assert {n for n, _ in KNOWN} <= names


def test_phone_clips_interpreted(corpus: Path) -> None:
    files = corpus / "files"
    lychee = probe(files / "lychee-train.mov")
    assert (lychee.device.make, lychee.device.model) == ("Apple", "iPhone 6s")
    assert (lychee.gps.latitude, lychee.gps.longitude, lychee.gps.altitude) == (52.2097, -0.8955, 103.64)
    apple = next(t for t in lychee.creation_times if t.source.endswith("creationdate"))
    assert (apple.tz, apple.utc) == ("+01:00", "2021-04-10T10:43:59+00:00")
    iphone13 = probe(files / "pigallery2-IMG_7943_HEVC.mov")
    sig = next(s for s in iphone13.signals if s.code == "creation_times_disagree")
    assert sig.severity == "warning" and sig.fields["seconds_apart"] > 86400 * 50
    ipad = probe(files / "photoprism-quicktime-hvc1.mov")
    assert (ipad.device.model, ipad.rotation, ipad.upright_size()) == ("iPad mini", -90, (720, 1280))
    gopro = probe(files / "gopro-max-heromode.mp4")
    assert (gopro.device.make, gopro.device.firmware) == ("GoPro", "H19.03.01.30.00")
    null = probe(files / "photoprism-isom-avc1.mp4")
    assert "gps_null_island" in {s.code for s in null.signals}


def test_heic_exifread_failures_give_partial_results(corpus: Path) -> None:
    files = corpus / "files"
    gray = probe(files / "pillowheif-L-exif-xmp-iptc.heic")  # exifread raises AssertionError on the file
    assert gray.device.make == "SONY" and any("AssertionError" in n for n in gray.notes)
    broken = probe(files / "pillowheif-corrupted.heic")  # exifread raises EOFError, libheif refuses it
    assert broken.image.width is None and any("EOFError" in n for n in broken.notes)
    assert "metadata_damaged" in {s.code for s in broken.signals}
    renamed = probe(files / "photoprism-wrong.heic")  # a JPEG named .heic
    assert renamed.file.format == "jpeg" and "extension_mismatch" in {s.code for s in renamed.signals}


def test_live_photo_pairs(corpus: Path) -> None:
    files = corpus / "files"
    ok = pair_signals(probe(files / "lychee-train.mov"), probe(files / "lychee-train.jpg"))
    assert [s.code for s in ok] == ["pair_consistent"]
    assert ok[0].fields["agreed"] == ["device", "time", "place"]
    off = pair_signals(
        probe(files / "pigallery2-IMG_7943_HEVC.mov"), probe(files / "pigallery2-IMG_7943.heic")
    )
    sig = next(s for s in off if s.code == "pair_time_mismatch")
    assert "format:creation_time" in sig.fields
    assert "format:com.apple.quicktime.creationdate" in sig.fields["agreeing_video_times"]
    assert "pair_device_mismatch" not in {s.code for s in off}
