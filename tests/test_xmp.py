"""XMP/IPTC: packets found in every container, fields read, signals raised, hostile packets refused."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import tracemalloc
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from tests.media import make_video
from verify import serial
from verify.probe import MediaInfo, probe
from verify.xmp import XmpInfo, read_xmp
from verify.xmp.iim import parse_iim
from verify.xmp.locate import MAX_PACKET
from verify.xmp.parse import MAX_DEPTH, MAX_ELEMENTS, PacketRefused, parse_packet
from verify.xmp.signals import describe_history
from verify.xmp.vocab import DIGITAL_SOURCE_TYPES, classify_source_type, generator_names

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"

PACKET = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Test XMP Core">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmp:CreatorTool="Adobe Premiere Pro 2024.2 (Windows)"
    xmp:CreateDate="2024-03-01T09:00:00+01:00"
    xmpMM:DocumentID="xmp.did:1111" xmpMM:OriginalDocumentID="xmp.did:0000" xmpMM:InstanceID="xmp.iid:2222"
    photoshop:Credit="Agency &lt;b&gt;X&lt;/b&gt;" photoshop:City="Lyon" photoshop:Headline="Storm"
    Iptc4xmpCore:CountryCode="FR">
   <Iptc4xmpExt:DigitalSourceType>{DST}trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>
   <dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li><rdf:li>John Roe</rdf:li></rdf:Seq></dc:creator>
   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">(c) Agency X</rdf:li></rdf:Alt></dc:rights>
   <Iptc4xmpExt:LocationCreated><rdf:Bag><rdf:li rdf:parseType="Resource">
     <Iptc4xmpExt:City>Lyon</Iptc4xmpExt:City><Iptc4xmpExt:CountryName>France</Iptc4xmpExt:CountryName>
   </rdf:li></rdf:Bag></Iptc4xmpExt:LocationCreated>
   <xmpMM:History><rdf:Seq>
    <rdf:li rdf:parseType="Resource"><stEvt:action>created</stEvt:action>
      <stEvt:softwareAgent>Adobe Premiere Pro 2024.2 (Windows)</stEvt:softwareAgent>
      <stEvt:when>2024-03-01T09:00:00+01:00</stEvt:when></rdf:li>
    <rdf:li stEvt:action="saved" stEvt:softwareAgent="Adobe Premiere Pro 2024.2 (Windows)"
      stEvt:when="2024-03-02T10:00:00+01:00" stEvt:changed="/"/>
   </rdf:Seq></xmpMM:History>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b']>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">&lol9;</x:xmpmeta>'
)
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&ext;</x:xmpmeta>'
)
DEEP = b"<a>" * (MAX_DEPTH * 50) + b"</a>" * (MAX_DEPTH * 50)
FLOOD = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b"<b/>" * (MAX_ELEMENTS + 10) + b"</x:xmpmeta>"


# -- building files --------------------------------------------------------------------------


def jpeg_bytes(color: tuple[int, int, int] = (90, 120, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (48, 32), color).save(buf, "JPEG")
    return buf.getvalue()


def jpeg_with_app1(path: Path, packet: bytes) -> Path:
    body = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    data = jpeg_bytes()
    path.write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + data[2:])
    return path


def png_with_itxt(path: Path, packet: bytes, compressed: bool = False) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode("utf-8", "replace"), zip=compressed)
    Image.new("RGB", (32, 32), (10, 200, 10)).save(path, "PNG", pnginfo=info)
    return path


def png_raw_itxt(path: Path, text: bytes, compressed: bool) -> Path:
    """A PNG whose iTXt chunk is written by hand (sizes beyond what Pillow would write)."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    data = buf.getvalue()
    body = b"XML:com.adobe.xmp\x00" + (b"\x01\x00" if compressed else b"\x00\x00") + b"\x00\x00" + text
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    path.write_bytes(data[:33] + chunk + data[33:])
    return path


def mp4_with_uuid(tmp: Path, packet: bytes) -> Path:
    clip = make_video(tmp / "clip.mp4", seconds=0.4, width=64, height=48)
    box = struct.pack(">I4s", 8 + 16 + len(packet), b"uuid") + bytes.fromhex(
        "BE7ACFCB97A942E89C71999491E3AFAC"
    )
    with open(clip, "ab") as fh:
        fh.write(box + packet)
    return clip


def iim_block(fields: list[tuple[int, bytes]], utf8: bool = True) -> bytes:
    out = b"\x1c\x01\x5a\x00\x03\x1b%G" if utf8 else b""
    for ds, value in fields:
        out += b"\x1c\x02" + bytes([ds]) + struct.pack(">H", len(value)) + value
    return out


def jpeg_with_iim(path: Path, block: bytes) -> Path:
    res = (
        b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(block)) + block + (b"\x00" if len(block) % 2 else b"")
    )
    body = b"Photoshop 3.0\x00" + res
    data = jpeg_bytes()
    path.write_bytes(data[:2] + b"\xff\xed" + struct.pack(">H", len(body) + 2) + body + data[2:])
    return path


def codes(info: MediaInfo) -> list[str]:
    return [s.code for s in info.signals]


def signal(info: MediaInfo, code: str):  # type: ignore[no-untyped-def]
    return next(s for s in info.signals if s.code == code)


# -- the parser ------------------------------------------------------------------------------


def test_packet_fields() -> None:
    props = parse_packet(PACKET)
    assert props["xmp:CreatorTool"] == "Adobe Premiere Pro 2024.2 (Windows)"
    assert props["dc:creator"] == ["Jane Doe", "John Roe"]
    assert props["iptcExt:DigitalSourceType"] == DST + "trainedAlgorithmicMedia"
    assert props["photoshop:Credit"] == "Agency <b>X</b>"  # entities of XML itself decode; kept verbatim
    hist = props["xmpMM:History"]
    assert [h["stEvt:action"] for h in hist] == ["created", "saved"]
    assert hist[1]["stEvt:changed"] == "/"


@pytest.mark.parametrize(
    ("packet", "why"),
    [
        (BILLION_LAUGHS, "billion laughs"),
        (EXTERNAL, "external entity"),
        (DEEP, "nested deeper"),
        (FLOOD, "XML elements"),
        (b"<x:xmpmeta><unclosed>", "well-formed"),
        (b"\x00\x01 no xml", "no XML"),
    ],
)
def test_hostile_packets_are_refused(packet: bytes, why: str) -> None:
    with pytest.raises(PacketRefused) as err:
        parse_packet(packet)
    assert why.lower() in err.value.reason.lower() or (why == "external entity" and "DTD" in err.value.reason)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["billion-laughs", "external-entity", "deep", "flood", "huge", "zip-bomb"])
def test_hostile_xmp_in_a_file_is_refused_and_probe_succeeds(tmp_path: Path, name: str) -> None:
    if name == "huge":
        path = png_raw_itxt(tmp_path / "x.png", b"<x:xmpmeta>" + b" " * (MAX_PACKET + 10), compressed=False)
    elif name == "zip-bomb":
        path = png_raw_itxt(tmp_path / "x.png", zlib.compress(b" " * (200 * MAX_PACKET), 9), compressed=True)
    elif name in ("deep", "flood"):  # over a JPEG segment's 64 KB: in a PNG
        path = png_raw_itxt(tmp_path / "x.png", DEEP if name == "deep" else FLOOD, compressed=False)
    else:
        path = jpeg_with_app1(tmp_path / "x.jpg", BILLION_LAUGHS if name == "billion-laughs" else EXTERNAL)
    tracemalloc.start()
    info = probe(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 2**20, f"probe used {peak / 2**20:.0f} MB on a hostile packet"
    assert info.xmp is not None and len(info.xmp.refused) == 1
    line = info.xmp.refused[0]
    assert "refused" in line and "\n" not in line
    assert line in info.notes
    assert "xmp_refused" in codes(info)
    assert info.file is not None and len(info.file.sha256) == 64  # the rest of the probe is intact
    if name != "zip-bomb":  # Pillow itself refuses to inflate that chunk, so it reports no pixel size
        assert info.image is not None and info.image.width


# -- finding packets in each container ---------------------------------------------------------


def _check_full(x: XmpInfo | None) -> None:
    assert x is not None
    assert x.creator_tool == "Adobe Premiere Pro 2024.2 (Windows)"
    assert x.iptc.creator == ("Jane Doe", "John Roe")
    assert x.iptc.copyright == "(c) Agency X"
    assert x.iptc.city == "Lyon" and x.iptc.country_code == "FR"
    assert x.iptc.location_created[0].country == "France"
    assert classify_source_type(x.digital_source_type) == (
        "trainedAlgorithmicMedia",
        DIGITAL_SOURCE_TYPES["trainedAlgorithmicMedia"][0],
        "generated",
    )
    assert [e.action for e in x.history] == ["created", "saved"]
    assert x.history[1].when == "2024-03-02T10:00:00+01:00"
    assert x.document_id == "xmp.did:1111" and x.original_document_id == "xmp.did:0000"


def test_jpeg_app1(tmp_path: Path) -> None:
    info = probe(jpeg_with_app1(tmp_path / "a.jpg", PACKET))
    _check_full(info.xmp)
    assert info.xmp is not None and info.xmp.sources == ("JPEG APP1",)


@pytest.mark.parametrize("compressed", [False, True])
def test_png_itxt(tmp_path: Path, compressed: bool) -> None:
    _check_full(probe(png_with_itxt(tmp_path / "a.png", PACKET, compressed)).xmp)


def test_tiff_tag_700(tmp_path: Path) -> None:
    path = tmp_path / "a.tif"
    Image.new("RGB", (16, 16)).save(path, "TIFF", tiffinfo={700: PACKET})
    _check_full(probe(path).xmp)


def test_webp_chunk(tmp_path: Path) -> None:
    path = tmp_path / "a.webp"
    Image.new("RGB", (16, 16), (1, 2, 3)).save(path, "WEBP", xmp=PACKET)
    _check_full(probe(path).xmp)


def test_heic_item(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    path = tmp_path / "a.heic"
    pillow_heif.from_pillow(Image.new("RGB", (64, 64), (200, 30, 30))).save(path, xmp=PACKET)
    info = probe(path)
    _check_full(info.xmp)


def test_mp4_uuid_box(tmp_path: Path) -> None:
    info = probe(mp4_with_uuid(tmp_path, PACKET))
    _check_full(info.xmp)
    assert info.xmp is not None and "XMP uuid" in info.xmp.sources[0]


def test_matroska_tag(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "a.mkv", seconds=0.4, metadata={"XMP": PACKET.decode()})
    _check_full(probe(clip).xmp)


def test_no_xmp_is_none_and_roundtrips(tmp_path: Path) -> None:
    plain = tmp_path / "p.jpg"
    plain.write_bytes(jpeg_bytes())
    assert probe(plain).xmp is None
    info = probe(jpeg_with_app1(tmp_path / "a.jpg", PACKET))
    again = serial.loads(MediaInfo, serial.dumps(info))
    assert again.xmp == info.xmp


def test_iim_block(tmp_path: Path) -> None:
    block = iim_block(
        [(80, b"Jane Doe"), (110, b"Agency X"), (90, "Zürich".encode()), (25, b"storm"), (25, b"flood")]
    )
    assert parse_iim(block)["Keywords"] == ["storm", "flood"]
    info = probe(jpeg_with_iim(tmp_path / "i.jpg", block))
    assert info.xmp is not None
    assert info.xmp.iim.creator == ("Jane Doe",) and info.xmp.iim.credit == "Agency X"
    assert info.xmp.iim.city == "Zürich" and info.xmp.iim.keywords == ("storm", "flood")
    latin = iim_block([(90, "Zürich".encode("cp1252"))], utf8=False)
    assert parse_iim(latin)["City"] == "Zürich"


def test_truncated_jpeg_segment_is_a_note(tmp_path: Path) -> None:
    path = jpeg_with_app1(tmp_path / "a.jpg", PACKET)
    data = path.read_bytes()
    path.write_bytes(data[:200])
    x = read_xmp(path, "jpeg")
    assert x.notes and "ends inside" in x.notes[0]


# -- signals ----------------------------------------------------------------------------------


def test_signals_from_a_declared_ai_file(tmp_path: Path) -> None:
    info = probe(jpeg_with_app1(tmp_path / "a.jpg", PACKET))
    c = codes(info)
    assert {"declared_ai_generated", "xmp_edit_history", "xmp_derived"} <= set(c)
    assert "no_metadata" not in c
    ai = signal(info, "declared_ai_generated")
    assert ai.severity == "warning" and "trainedAlgorithmicMedia" in ai.explanation
    assert "forged or stripped" in ai.explanation
    hist = signal(info, "xmp_edit_history")
    assert "Adobe Premiere Pro 2024.2 (Windows)" in hist.explanation
    assert "between 2024-03-01 and 2024-03-02" in hist.explanation
    assert hist.fields["steps"] == 2


def test_generator_names() -> None:
    assert generator_names("DALL·E 3") == ["DALL-E"]
    assert generator_names("Made with Midjourney v6.1") == ["Midjourney"]
    assert generator_names("Adobe Firefly Image 3") == ["Adobe Firefly"]
    assert generator_names("ComfyUI") == ["Stable Diffusion web UI"]
    for ordinary in ("Adobe Photoshop 25.0", "Lavf60.16.100", "iOS 17.2", "GIMP 2.10", "Sorastrom tools"):
        assert generator_names(ordinary) == [], ordinary


def test_every_ai_term_is_classified() -> None:
    for term in ("trainedAlgorithmicMedia", "algorithmicMedia"):
        assert classify_source_type(DST + term)[2] == "generated"  # type: ignore[index]
    for term in ("compositeSynthetic", "compositeWithTrainedAlgorithmicMedia"):
        assert classify_source_type(term)[2] == "synthetic_composite"  # type: ignore[index]
    assert classify_source_type(DST + "digitalCapture")[2] == "capture"  # type: ignore[index]
    assert classify_source_type("madeUpTerm")[2] == "unknown"  # type: ignore[index]


def test_describe_history_groups_by_program() -> None:
    x = read_xmp  # noqa: F841 - keep the import used in this module's namespace
    from verify.xmp import HistoryEvent

    text = describe_history(
        (HistoryEvent("saved", "Tool A", "2020-01-01T00:00:00Z"), HistoryEvent("converted", None, None))
    )
    assert text == "saved in Tool A on 2020-01-01; converted in an unnamed program"


# -- exiftool-made files (must show) ------------------------------------------------------------

EXIFTOOL = shutil.which("exiftool")


def _exiftool_write(path: Path) -> None:
    assert EXIFTOOL is not None
    subprocess.run(
        [EXIFTOOL, "-q", "-overwrite_original",
         f"-XMP-iptcExt:DigitalSourceType={DST}trainedAlgorithmicMedia",
         "-XMP-xmp:CreatorTool=Adobe Premiere Pro 2024.2 (Windows)",
         "-XMP-xmpMM:History={Action=created,SoftwareAgent=Adobe Premiere Pro 2024.2 (Windows),"
         "When=2024:03:01 09:00:00+01:00}",
         "-XMP-xmpMM:History+={Action=saved,SoftwareAgent=Adobe Premiere Pro 2024.2 (Windows),"
         "When=2024:03:02 10:00:00+01:00,Changed=/}",
         str(path)],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool (libimage-exiftool-perl) is not installed")
@pytest.mark.parametrize("kind", ["jpeg", "mp4"])
def test_exiftool_made_file_gives_synthetic_and_history_signals(tmp_path: Path, kind: str) -> None:
    if kind == "jpeg":
        path = tmp_path / "ai.jpg"
        path.write_bytes(jpeg_bytes())
    else:
        path = make_video(tmp_path / "ai.mp4", seconds=0.5, width=64, height=48)
    _exiftool_write(path)
    info = probe(path)
    assert info.xmp is not None, "exiftool's packet was not found"
    assert {"declared_ai_generated", "xmp_edit_history"} <= set(codes(info))
    hist = signal(info, "xmp_edit_history")
    assert [e["action"] for e in hist.fields["events"]] == ["created", "saved"]
    assert "Adobe Premiere Pro 2024.2 (Windows)" in hist.explanation


# -- C2PA: a real signed manifest made at test time ----------------------------------------------


def _c2pa_signed_jpeg(path: Path, source_type: str) -> Path:
    """A JPEG signed with c2pa-python by a throw-away CA + signer (ES256), declaring ``source_type``."""
    import datetime
    import json

    c2pa = pytest.importorskip("c2pa")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "verify tests")])  # fmt: skip

    def usage(sign_certs: bool) -> x509.KeyUsage:
        return x509.KeyUsage(True, False, False, False, False, sign_certs, sign_certs, False, False)

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def cert(subject: str, issuer: x509.Name, public: object, ca: bool) -> x509.CertificateBuilder:
        b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(issuer).public_key(public)  # type: ignore[arg-type]
             .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
             .not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
             .add_extension(usage(ca), critical=True))  # fmt: skip
        return b

    root = cert("test CA", name("test CA"), ca_key.public_key(), True).sign(ca_key, hashes.SHA256())
    leaf = (
        cert("test signer", root.subject, key.public_key(), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = leaf.public_bytes(serialization.Encoding.PEM) + root.public_bytes(serialization.Encoding.PEM)
    pkey = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())  # fmt: skip
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(alg=b"es256", sign_cert=chain, private_key=pkey, ta_url=None)
    )
    manifest = {
        "claim_generator_info": [{"name": "verify-test", "version": "1"}],
        "title": path.name,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
            "action": "c2pa.created", "digitalSourceType": DST + source_type,
            "softwareAgent": {"name": "Adobe Firefly", "version": "3"}}]}}],
    }  # fmt: skip
    src, out = io.BytesIO(jpeg_bytes()), io.BytesIO()
    c2pa.Builder(json.dumps(manifest)).sign(signer, "image/jpeg", src, out)
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.slow
def test_c2pa_action_declaring_ai_generation(tmp_path: Path) -> None:
    info = probe(_c2pa_signed_jpeg(tmp_path / "c2pa.jpg", "trainedAlgorithmicMedia"))
    assert info.c2pa.present and info.c2pa.actions[0].action == "c2pa.created"
    ai = signal(info, "declared_ai_generated")
    assert ai.fields["declarations"][0]["source"] == "C2PA action c2pa.created"
    assert "Adobe Firefly" in signal(info, "ai_generator_named").fields["generators"]
    capture = probe(_c2pa_signed_jpeg(tmp_path / "cam.jpg", "digitalCapture"))
    assert "declared_ai_generated" not in codes(capture) and "declared_capture" in codes(capture)
