"""Provenance signals on hand-built records (every rule, both ways) and on video/still pairs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from verify import serial
from verify.c2pa_info import C2paInfo, interpret_store
from verify.probe import Device, FileInfo, ImageInfo, MediaInfo, StreamInfo, TimingScan
from verify.probe.exif import ExifInfo, GpsFix, make_fix, parse_iso6709, parse_time
from verify.probe.signals import Signal, file_signals, is_ffmpeg, pair_signals

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def video(**kw: object) -> MediaInfo:
    stream = kw.pop("stream", StreamInfo(index=0, type="video", codec="h264", width=1920, height=1080,
                                         avg_frame_rate=30.0, real_frame_rate=30.0))  # fmt: skip
    base: dict[str, object] = {
        "file": FileInfo("clip.mov", "/x/clip.mov", 10, "s", "m", "video", "mov", extension="mov"),
        "streams": (stream,),
    }
    base.update(kw)
    return MediaInfo(**base)  # type: ignore[arg-type]


def still(**kw: object) -> MediaInfo:
    base: dict[str, object] = {
        "file": FileInfo("p.jpg", "/x/p.jpg", 10, "s", "m", "image", "jpeg", extension="jpg"),
        "image": ImageInfo(width=4032, height=3024, exif=ExifInfo(tags={"Image Make": "Apple"})),
    }
    base.update(kw)
    return MediaInfo(**base)  # type: ignore[arg-type]


def codes(info: MediaInfo) -> set[str]:
    return {s.code for s in file_signals(info, now=NOW)}


APPLE = Device(make="Apple", model="iPhone 13 Pro")
T_UTC = parse_time("format:creation_time", "2024-03-23T14:57:19.000000Z")
T_LOCAL = parse_time("format:com.apple.quicktime.creationdate", "2024-03-23T15:57:19+0100")


def test_nothing_at_all_is_flagged_and_metadata_clears_it() -> None:
    assert "no_metadata" in codes(video())
    assert "no_metadata" not in codes(video(device=APPLE))
    assert "no_metadata" not in codes(video(creation_times=(T_UTC,)))
    assert "no_metadata" not in codes(video(gps_all=(parse_iso6709("f", "+1.0+2.0/"),)))
    assert "no_metadata" not in codes(still())
    # a zero creation time is no metadata
    assert "no_metadata" in codes(video(creation_times=(parse_time("f", "1970-01-01T00:00:00Z"),)))


def test_ffmpeg_encoder_and_device_with_ffmpeg() -> None:
    assert is_ffmpeg("Lavf58.29.100") and is_ffmpeg("Lavc60.3.100 libx264") and is_ffmpeg("FFmpeg")
    assert not is_ffmpeg("H.264") and not is_ffmpeg("GoPro AVC encoder") and not is_ffmpeg(None)
    plain = video(encoders={"format:encoder": "Lavf58.29.100"})
    assert {"ffmpeg_encoder"} <= codes(plain) and "device_with_ffmpeg" not in codes(plain)
    tagged = video(device=APPLE, encoders={"format:encoder": "Lavf58.29.100"})
    sig = next(s for s in file_signals(tagged, now=NOW) if s.code == "device_with_ffmpeg")
    assert sig.severity == "warning" and sig.fields["device"] == "Apple iPhone 13 Pro"
    assert "ffmpeg_encoder" not in codes(video(device=APPLE, encoders={"stream 0:encoder": "H.264"}))


def test_creation_times_agree_within_a_minute_after_time_zones() -> None:
    assert "creation_times_disagree" not in codes(video(creation_times=(T_UTC, T_LOCAL)))
    late = parse_time("format:creation_time", "2024-05-23T10:18:57.000000Z")
    sig = next(s for s in file_signals(video(creation_times=(late, T_LOCAL)), now=NOW)
               if s.code == "creation_times_disagree")  # fmt: skip
    assert sig.fields["earliest"]["source"].endswith("creationdate")
    assert sig.fields["seconds_apart"] == pytest.approx((late.instant() - T_LOCAL.instant()).total_seconds())
    drift = parse_time("format:creation_time", "2024-03-23T14:58:30Z")  # 71 s later
    assert "creation_times_disagree" in codes(video(creation_times=(drift, T_LOCAL)))


def test_time_without_zone_is_not_compared_with_zoned_time() -> None:
    naive = parse_time("exif:DateTimeOriginal", "2024:03:23 09:00:00")
    assert "creation_times_disagree" not in codes(still(creation_times=(naive, T_UTC)))


def test_future_early_and_unset_times() -> None:
    future = parse_time("format:creation_time", "2030-01-01T00:00:00Z")
    early = parse_time("exif:DateTimeOriginal", "1601:06:06 10:06:00")
    unset = parse_time("format:creation_time", "1904-01-01T00:00:00Z")
    assert "creation_time_future" in codes(video(creation_times=(future,)))
    assert "creation_time_too_early" in codes(still(creation_times=(early,)))
    got = codes(video(creation_times=(unset,)))
    assert "creation_time_unset" in got and "creation_time_too_early" not in got
    assert not {"creation_time_future", "creation_time_too_early"} & codes(video(creation_times=(T_UTC,)))


def test_null_island_rotation_vfr_mismatch() -> None:
    null = parse_iso6709("format:location", "+00.0000+000.0000/")
    assert null.null_island and "gps_null_island" in codes(video(gps_all=(null,), gps=null))
    rotated = StreamInfo(index=0, type="video", width=1280, height=720, rotation=-90.0)
    assert "rotation" in codes(video(stream=rotated))
    vfr = StreamInfo(index=0, type="video", avg_frame_rate=10.645, real_frame_rate=29.97)
    assert "variable_frame_rate" not in codes(video(stream=vfr))  # FFmpeg's rate guess alone is no evidence
    spread = TimingScan(packets=22, min_interval=0.0333, median_interval=0.0667, max_interval=0.0667)
    assert "variable_frame_rate" in codes(video(stream=vfr, timing=spread))
    even = TimingScan(packets=240, min_interval=1.0, median_interval=1.0, max_interval=1.0)
    assert "variable_frame_rate" not in codes(video(stream=vfr, timing=even))
    assert "variable_frame_rate" in codes(video(timing=TimingScan(packets=40, irregular=True)))
    assert not {"rotation", "variable_frame_rate"} & codes(video())
    renamed = FileInfo(
        "x.heic", "/x.heic", 1, "s", "m", "image", "jpeg", extension="heic", extension_mismatch=True
    )
    assert "extension_mismatch" in codes(still(file=renamed))


def test_c2pa_signals_from_a_manifest_store() -> None:
    store = {
        "active_manifest": "urn:1",
        "manifests": {"urn:1": {
            "claim_generator_info": [{"name": "Camera App", "version": "2.1"}],
            "signature_info": {"issuer": "Example News", "time": "2025-01-01T00:00:00Z"},
            "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [
                {"action": "c2pa.created", "softwareAgent": {"name": "Camera App"}},
                {"action": "c2pa.cropped", "when": "2025-01-02T00:00:00Z"}]}}],
        }},
        "validation_status": [{"code": "assertion.dataHash.mismatch", "explanation": "hash does not match"}],
    }  # fmt: skip
    info = interpret_store(store, "Invalid")
    assert (info.issuer, info.claim_generator, info.manifest_count) == ("Example News", "Camera App 2.1", 1)
    assert [a.action for a in info.actions] == ["c2pa.created", "c2pa.cropped"]
    assert info.actions[0].software_agent == "Camera App"
    assert info.validation_errors == ("assertion.dataHash.mismatch: hash does not match",)
    assert "c2pa_invalid" in codes(video(c2pa=info))
    assert "c2pa_present" in codes(video(c2pa=interpret_store(store, "Valid")))
    assert not {"c2pa_invalid", "c2pa_present"} & codes(video(c2pa=C2paInfo(state="none")))
    assert serial.loads(C2paInfo, serial.dumps(info)) == info


def test_every_signal_has_a_sentence_and_round_trips() -> None:
    info = video(device=APPLE, encoders={"format:encoder": "Lavf60"}, creation_times=(T_UTC,))
    for s in file_signals(info, now=NOW):
        assert s.severity in ("info", "notice", "warning")
        assert s.explanation.endswith(".") and s.explanation.count(". ") == 0
        assert serial.loads(Signal, serial.dumps(s)) == s


def _pair_still(**kw: object) -> MediaInfo:
    base = {
        "device": APPLE,
        "creation_times": (parse_time("exif:DateTimeOriginal", "2024:03:23 15:57:20", "+01:00"),),
        "gps": make_fix("exif:GPS", "", 49.19892, 16.60705, 222.0),
    }
    base.update(kw)
    return still(**base)


def _pair_video(**kw: object) -> MediaInfo:
    base = {
        "device": APPLE,
        "creation_times": (T_UTC, T_LOCAL),
        "gps": parse_iso6709("f", "+49.1989+016.6071/"),
    }
    base.update(kw)
    return video(**base)


def test_pair_consistent() -> None:
    out = pair_signals(_pair_video(), _pair_still())
    assert [s.code for s in out] == ["pair_consistent"]
    assert out[0].fields["agreed"] == ["device", "time", "place"]


def test_pair_device_time_place_mismatches() -> None:
    out = pair_signals(
        _pair_video(device=Device(make="samsung", model="SM-G930F"),
                    creation_times=(parse_time("format:creation_time", "2024-05-23T10:18:57Z"), T_LOCAL),
                    gps=parse_iso6709("f", "+48.8584+002.2945/")),
        _pair_still(),
    )  # fmt: skip
    by = {s.code: s for s in out}
    assert set(by) == {"pair_device_mismatch", "pair_time_mismatch", "pair_gps_mismatch"}
    assert by["pair_device_mismatch"].fields["make"] == {"video": "samsung", "still": "Apple"}
    assert list(by["pair_time_mismatch"].fields["agreeing_video_times"]) == [T_LOCAL.source]
    assert by["pair_gps_mismatch"].fields["metres"] > 900_000


def test_pair_one_sided_gps_and_naive_still_time() -> None:
    naive = (parse_time("exif:DateTimeOriginal", "2024:03:23 15:57:40"),)  # wall clock, no zone
    out = pair_signals(_pair_video(), _pair_still(gps=None, creation_times=naive))
    assert "pair_gps_one_sided" in {s.code for s in out}
    # the naive still time is compared with the Apple local time (20 s), not the UTC container time
    assert "pair_time_mismatch" not in {s.code for s in out}
    far = (parse_time("exif:DateTimeOriginal", "2024:03:23 18:00:00"),)
    assert "pair_time_mismatch" in {
        s.code for s in pair_signals(_pair_video(), _pair_still(creation_times=far))
    }


def test_gps_fix_from_exif_and_null_island_helper() -> None:
    assert make_fix("s", "", 0.0, 0.0, None).null_island
    fix = make_fix("s", "", -33.86, 151.2, 5.0)
    assert isinstance(fix, GpsFix) and (fix.latitude, fix.longitude) == (-33.86, 151.2)
