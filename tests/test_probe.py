"""verify.probe on generated media: fields, hashes, rotation, VFR, stills, errors, JSON round trip."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from tests import media
from verify import serial
from verify.errors import (
    EmptyFileError,
    FileTooLargeError,
    MediaNotFoundError,
    NotMediaError,
    TruncatedMediaError,
    VerifyError,
)
from verify.filetype import extension_mismatch, sniff
from verify.probe import MediaInfo, probe
from verify.probe.exif import parse_iso6709, parse_time


def codes(info: MediaInfo) -> set[str]:
    return {s.code for s in info.signals}


def test_video_fields_hashes_and_round_trip(clip: Path) -> None:
    info = probe(clip)
    data = clip.read_bytes()
    assert info.schema_version == 1
    assert info.file.sha256 == hashlib.sha256(data).hexdigest()
    assert info.file.md5 == hashlib.md5(data).hexdigest()
    assert info.file.size == len(data)
    assert (info.file.kind, info.file.format, info.file.extension_mismatch) == ("video", "mp4", False)
    assert info.container.format.startswith("mov,mp4")
    assert info.container.duration == pytest.approx(2.0, abs=0.1)
    assert info.container.major_brand == "isom"
    v = info.video
    assert (v.codec, v.width, v.height, v.pix_fmt) == ("h264", 160, 120, "yuv420p")
    assert v.avg_frame_rate == pytest.approx(25.0, rel=0.01)
    assert v.frames == 50
    assert v.rotation == 0
    assert info.timing.packets == 50 and not info.timing.irregular
    # PyAV writes Lavf into the container: re-encoded, and nothing else to say
    assert info.encoder.startswith("Lavf")
    assert {"ffmpeg_encoder", "no_metadata"} <= codes(info)
    assert "variable_frame_rate" not in codes(info)
    assert serial.loads(MediaInfo, serial.dumps(info)) == info


def test_summary_is_compact_and_json_ready(clip: Path) -> None:
    s = probe(clip).summary()
    assert set(s) >= {"name", "size", "sha256", "md5", "type", "format", "duration", "width", "height", "fps",
                      "codec", "rotation", "device", "creation_times", "gps", "encoder", "c2pa", "signals"}  # fmt: skip
    assert (s["width"], s["height"], s["codec"], s["c2pa"]) == (160, 120, "h264", "none")
    assert serial.json.loads(serial.dumps(s)) == s


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_rotation_matches_ffmpeg_sign_and_upright_size(tmp_path: Path, rotation: int) -> None:
    path = media.make_video(tmp_path / "r.mp4", seconds=0.4, width=96, height=64, rotation=rotation)
    info = probe(path)
    assert info.rotation in (rotation, rotation - 360, rotation + 360)
    w, h = info.upright_size()
    assert (w, h) == ((64, 96) if rotation % 180 else (96, 64))
    assert "rotation" in codes(info)


def test_variable_frame_rate_is_flagged(tmp_path: Path) -> None:
    times, t = [], 0.0
    for i in range(40):
        times.append(t)
        t += 0.02 if i % 3 else 0.11  # bursts and gaps
    info = probe(media.make_video(tmp_path / "vfr.mp4", times=times))
    assert info.timing.irregular
    sig = next(s for s in info.signals if s.code == "variable_frame_rate")
    assert sig.fields["max_interval"] > 3 * sig.fields["min_interval"]


def test_location_and_creation_time_tags(tmp_path: Path) -> None:
    path = media.make_video(
        tmp_path / "tagged.mp4",
        seconds=0.4,
        metadata={"location": "+48.8584+002.2945/", "creation_time": "2020-05-01T10:00:00Z"},
    )
    info = probe(path)
    assert (info.gps.latitude, info.gps.longitude) == (48.8584, 2.2945)
    assert info.gps.source.endswith("location")
    t = next(t for t in info.creation_times if t.source == "format:creation_time")
    assert t.utc == "2020-05-01T10:00:00+00:00"
    assert "no_metadata" not in codes(info)


def test_null_island_is_not_a_place(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "null.mp4", seconds=0.4, metadata={"location": "+00.0000+000.0000/"})
    info = probe(path)
    assert info.gps.null_island and info.gps.latitude is None
    assert "gps_null_island" in codes(info)
    assert info.summary()["gps"]["null_island"] is True


def test_audio_only_probes_fine(tmp_path: Path) -> None:
    info = probe(media.make_audio_only(tmp_path / "a.m4a"))
    assert info.file.kind == "audio"
    assert info.video is None
    a = info.streams[0]
    assert (a.type, a.codec, a.sample_rate, a.channels) == (
        "audio",
        "aac",
        44100,
        2,
    )  # ffprobe agrees: stereo
    assert info.summary()["width"] is None


def _jpeg_with_exif(path: Path, *, gps: bool = True) -> Path:
    img = Image.fromarray(media.textured(64, 48)(0, 0.0))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131], exif[0x0112] = "Acme", "Cam 1", "fw 2.0", 6
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003], ifd[0x9011] = "2021:04:10 11:44:00", "+01:00"
    if gps:
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "S", (33.0, 51.0, 36.0), "W", (70.0, 30.0, 0.0)
        g[5], g[6] = b"\x01", 12.5
    img.save(path, "JPEG", exif=exif, quality=80)
    return path


def test_jpeg_exif_camera_date_gps(tmp_path: Path) -> None:
    info = probe(_jpeg_with_exif(tmp_path / "photo.jpg"))
    e = info.image.exif
    assert (info.file.kind, info.file.format) == ("image", "jpeg")
    assert (info.device.make, info.device.model, info.device.software) == ("Acme", "Cam 1", "fw 2.0")
    assert e.datetime_original.local == "2021-04-10T11:44:00+01:00"
    assert e.datetime_original.utc == "2021-04-10T10:44:00+00:00"
    assert info.gps.latitude == pytest.approx(-(33 + 51 / 60 + 36 / 3600))
    assert info.gps.longitude == pytest.approx(-70.5)
    assert info.gps.altitude == pytest.approx(-12.5)  # AltitudeRef 1: below sea level
    assert e.orientation == 6 and (info.image.width, info.image.height) == (64, 48)
    assert info.upright_size() == (48, 64)
    assert e.tags["Image Make"] == "Acme"
    assert "orientation" in codes(info) and "no_metadata" not in codes(info)
    assert serial.loads(MediaInfo, serial.dumps(info)) == info


def test_broken_exif_gives_partial_result(tmp_path: Path) -> None:
    good = _jpeg_with_exif(tmp_path / "good.jpg").read_bytes()
    at = good.index(b"Exif\x00\x00") + 6
    bad = bytearray(good)
    bad[at + 4 : at + 8] = b"\x7f\xff\xff\xf0"  # IFD0 offset far past the end
    path = tmp_path / "bad.jpg"
    path.write_bytes(bytes(bad))
    info = probe(path)
    assert (info.image.width, info.image.height) == (64, 48)
    assert info.device.make is None
    assert any("EXIF" in n for n in info.notes)
    assert "metadata_damaged" in codes(info)
    assert info.file.sha256 == hashlib.sha256(bad).hexdigest()


def test_png_still_and_extension_mismatch(tmp_path: Path) -> None:
    png = media.make_still(tmp_path / "p.png", 40, 30)
    renamed = tmp_path / "looks-like.jpg"
    renamed.write_bytes(png.read_bytes())
    info = probe(renamed)
    assert (info.file.kind, info.file.format, info.file.extension_mismatch) == ("image", "png", True)
    assert (info.image.width, info.image.height) == (40, 30)
    assert {"extension_mismatch", "no_metadata"} <= codes(info)


def test_errors_missing_empty_text_folder_too_large(tmp_path: Path, clip: Path) -> None:
    with pytest.raises(MediaNotFoundError, match="no such file"):
        probe(tmp_path / "nope.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(EmptyFileError):
        probe(tmp_path / "empty.mp4")
    (tmp_path / "notes.mp4").write_text("this is a text file\nrenamed to .mp4\n")
    with pytest.raises(NotMediaError, match="text file"):
        probe(tmp_path / "notes.mp4")
    with pytest.raises(NotMediaError):
        probe(tmp_path)
    with pytest.raises(FileTooLargeError, match="over the limit"):
        probe(clip, max_bytes=100)
    assert probe(clip, max_bytes=10**9).file.size > 100


def test_truncated_and_random_bytes(tmp_path: Path, clip: Path) -> None:
    head = tmp_path / "head.mp4"
    head.write_bytes(clip.read_bytes()[:64])
    with pytest.raises(TruncatedMediaError, match="looks like mp4"):
        probe(head)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(NotMediaError) as err:
        probe(junk)
    assert str(junk) in str(err.value) and "\n" not in str(err.value)


def test_cut_in_half_still_probes_or_errors_cleanly(tmp_path: Path, clip: Path) -> None:
    data = clip.read_bytes()
    half = tmp_path / "half.mp4"
    half.write_bytes(data[: len(data) // 2])
    try:
        info = probe(half)
    except VerifyError as exc:
        assert isinstance(exc, TruncatedMediaError | NotMediaError)
    else:
        assert info.file.size == len(data) // 2


@pytest.mark.parametrize(
    ("head", "kind", "fmt"),
    [
        (b"\xff\xd8\xff\xe1", "image", "jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image", "png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image", "webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image", "heic"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video", "mov"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video", "mp4"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio", "m4a"),
        (b"\x1a\x45\xdf\xa3\x93\x42\x82\x88matroska", "video", "matroska"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm", "video", "webm"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video", "avi"),
        (b"hello, world\n", "text", "text"),
        (bytes([0, 1, 2, 3, 250, 251]), "unknown", "unknown"),
    ],
)
def test_sniff_by_content(head: bytes, kind: str, fmt: str) -> None:
    found = sniff(head)
    assert (found.kind, found.format) == (kind, fmt)


def test_extension_mismatch_rules() -> None:
    assert extension_mismatch("x.heic", sniff(b"\xff\xd8\xff\xe0"))
    assert not extension_mismatch("x.JPG", sniff(b"\xff\xd8\xff\xe0"))
    assert not extension_mismatch("x.mkv", sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm"))
    assert not extension_mismatch("no-extension", sniff(b"\xff\xd8\xff\xe0"))


@pytest.mark.parametrize(
    ("raw", "lat", "lon", "alt"),
    [
        ("+52.2097-000.8955+103.640/", 52.2097, -0.8955, 103.64),
        ("+33.1268-117.3273/", 33.1268, -117.3273, None),
        ("-38.4052+144.1890CRSWGS_84/", -38.4052, 144.189, None),
        ("+4012.5-07401.5/", 40 + 12.5 / 60, -(74 + 1.5 / 60), None),
        ("+401230-0740130/", 40 + 12 / 60 + 30 / 3600, -(74 + 1 / 60 + 30 / 3600), None),
    ],
)
def test_iso6709(raw: str, lat: float, lon: float, alt: float | None) -> None:
    fix = parse_iso6709("t", raw)
    assert fix.latitude == pytest.approx(lat) and fix.longitude == pytest.approx(lon)
    assert fix.altitude == (pytest.approx(alt) if alt is not None else None)


def test_iso6709_rejects_junk() -> None:
    assert parse_iso6709("t", "somewhere nice") is None
    assert parse_iso6709("t", "+95.0000+000.0000/") is None


def test_time_parsing() -> None:
    t = parse_time("a", "2021-04-10T11:43:59+0100")
    assert (t.local, t.utc, t.tz) == ("2021-04-10T11:43:59+01:00", "2021-04-10T10:43:59+00:00", "+01:00")
    assert parse_time("b", "2003-03-10 15:04:43").tz is None
    assert parse_time("c", "2021:04:10 11:44:00", "-05:00").utc == "2021-04-10T16:44:00+00:00"
    assert parse_time("d", "0000:00:00 00:00:00").local is None
    assert parse_time("e", "1970-01-01T00:00:00.000000Z").unset


def test_exif_block_is_bounded_in_memory(tmp_path: Path) -> None:
    # a JPEG with a long user comment still probes and keeps the value verbatim
    img = Image.fromarray(media.textured(32, 24)(0, 0.0))
    exif = Image.Exif()
    exif[0x010E] = "x" * 20000  # ImageDescription
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    path = tmp_path / "long.jpg"
    path.write_bytes(buf.getvalue())
    info = probe(path)
    assert info.image.exif.tags["Image ImageDescription"] == "x" * 20000


SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


def _sign_c2pa(path: Path) -> Path:
    """Sign a small JPEG with a throw-away CA + ES256 leaf certificate (real c2pa-python signing)."""
    import datetime as dt

    import c2pa
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Verify Test")])  # fmt: skip

    def usage(sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=not sign,
                             crl_sign=not sign, encipher_only=False, decipher_only=False)  # fmt: skip

    def cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, ca_key: ec.EllipticCurvePrivateKey,
             ca: bool) -> x509.Certificate:  # fmt: skip
        b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(issuer).public_key(key.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
             .not_valid_after(now + dt.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
             .add_extension(usage(not ca), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))  # fmt: skip
        if not ca:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            b = b.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
        return b.sign(ca_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = cert("Verify Test CA", ca_key, name("Verify Test CA"), ca_key, True)
    leaf = cert("Verify Test Signer", key, ca.subject, ca_key, False)
    pem = serialization.Encoding.PEM
    chain = leaf.public_bytes(pem) + ca.public_bytes(pem)
    pkey = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, pkey, None))
    manifest = {"claim_generator_info": [{"name": "verify-tests", "version": "1.0"}], "title": "signed.jpg",
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": SOURCE}]}}]}  # fmt: skip
    src = io.BytesIO()
    Image.fromarray(media.textured(32, 32)(0, 0.0)).save(src, "JPEG")
    src.seek(0)
    out = io.BytesIO()
    c2pa.Builder(manifest).sign(signer, "image/jpeg", src, out)
    path.write_bytes(out.getvalue())
    return path


def test_c2pa_signed_and_tampered(tmp_path: Path) -> None:
    signed = _sign_c2pa(tmp_path / "signed.jpg")
    info = probe(signed)
    c = info.c2pa
    assert (c.state, c.issuer, c.claim_generator, c.title) == (
        "Valid",
        "Verify Test",
        "verify-tests 1.0",
        "signed.jpg",
    )
    assert [(a.action, a.digital_source_type) for a in c.actions] == [("c2pa.created", SOURCE)]
    assert any(
        e.startswith("signingCredential.untrusted") for e in c.validation_errors
    )  # our CA is not trusted
    assert "c2pa_present" in codes(info) and "no_metadata" not in codes(info)
    data = bytearray(signed.read_bytes())
    data[-100] ^= 0xFF  # flip a byte of the picture after signing
    tampered = tmp_path / "tampered.jpg"
    tampered.write_bytes(bytes(data))
    bad = probe(tampered)
    assert bad.c2pa.state == "Invalid"
    assert any("dataHash.mismatch" in e for e in bad.c2pa.validation_errors)
    assert "c2pa_invalid" in codes(bad)


def test_c2pa_absent_and_unsupported(tmp_path: Path, clip: Path) -> None:
    assert probe(clip).c2pa.state == "none"
    mkv = media.make_video(tmp_path / "c.mkv", seconds=0.3)
    assert probe(mkv).c2pa.state == "unsupported"


def _mux_with_keys(path: Path, tags: dict[str, str]) -> Path:
    """A tiny clip whose container carries arbitrary keys (mov ``use_metadata_tags``), as phones write them."""
    import av
    import numpy as np

    with av.open(str(path), "w", options={"movflags": "use_metadata_tags"}) as out:
        for k, v in tags.items():
            out.metadata[k] = v
        s = out.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts = i
            out.mux(s.encode(frame))
        out.mux(s.encode(None))
    return path


def test_android_keys_give_device_and_ffmpeg_conflict(tmp_path: Path) -> None:
    tags = {"com.android.manufacturer": "Google", "com.android.model": "Pixel 7", "com.android.version": "14"}
    info = probe(_mux_with_keys(tmp_path / "android.mp4", tags))
    d = info.device
    assert (d.make, d.model, d.software) == ("Google", "Pixel 7", "14")
    assert d.sources["model"] == "format:com.android.model"
    assert {"ffmpeg_encoder", "device_with_ffmpeg"} <= codes(info)  # PyAV (Lavf) wrote it, not the phone


def test_apple_keys_times_and_iso6709(tmp_path: Path) -> None:
    tags = {
        "com.apple.quicktime.make": "Apple",
        "com.apple.quicktime.model": "iPhone 15",
        "com.apple.quicktime.creationdate": "2024-06-01T09:30:00-0400",
        "com.apple.quicktime.location.ISO6709": "+40.6892-074.0445+010.000/",
        "creation_time": "2024-06-01T13:30:01Z",
    }
    info = probe(_mux_with_keys(tmp_path / "apple.mov", tags))
    assert info.device.label() == "Apple iPhone 15"
    apple = next(t for t in info.creation_times if t.source.endswith("creationdate"))
    assert (apple.tz, apple.utc) == ("-04:00", "2024-06-01T13:30:00+00:00")
    assert "creation_times_disagree" not in codes(info)  # 1 s apart after normalising the zone
    assert (info.gps.latitude, info.gps.longitude, info.gps.altitude) == (40.6892, -74.0445, 10.0)


@pytest.mark.parametrize("fmt", ["WEBP", "TIFF"])
def test_webp_and_tiff_exif(tmp_path: Path, fmt: str) -> None:
    img = Image.fromarray(media.textured(40, 30)(0, 0.0))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Acme", "Cam 2"
    path = tmp_path / f"still.{fmt.lower()}"
    img.save(path, fmt, exif=exif)
    info = probe(path)
    assert (info.file.format, info.image.width, info.image.height) == (fmt.lower(), 40, 30)
    assert (info.device.make, info.device.model) == ("Acme", "Cam 2")


@pytest.mark.parametrize("kind", ["mp4", "jpg", "png", "mkv"])
def test_cut_anywhere_never_crashes(tmp_path: Path, kind: str) -> None:
    if kind == "jpg":
        whole = _jpeg_with_exif(tmp_path / "w.jpg").read_bytes()
    elif kind == "png":
        whole = media.make_still(tmp_path / "w.png").read_bytes()
    else:
        whole = media.make_video(tmp_path / f"w.{kind}", seconds=0.5, audio=True).read_bytes()
    outcomes = set()
    for frac in (0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99):
        cut = tmp_path / f"cut-{frac}.{kind}"
        cut.write_bytes(whole[: max(1, int(len(whole) * frac))])
        try:
            info = probe(cut)
        except VerifyError as exc:
            assert "\n" not in str(exc) and cut.name in str(exc)
            outcomes.add(type(exc).__name__)
        else:
            assert info.file.size == cut.stat().st_size
            outcomes.add("result")
    if kind == "mp4":  # PyAV writes the moov index last: every cut loses it and is reported as truncated
        assert outcomes == {"TruncatedMediaError"}
    else:  # some cuts still probe (partial result), the others fail cleanly
        assert "result" in outcomes
