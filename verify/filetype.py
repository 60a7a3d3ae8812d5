"""What a file really is, from its first bytes (magic numbers), not its name.

A fact-checker's file may carry any extension: a JPEG renamed ``.heic``, a text
file renamed ``.mp4``. :func:`sniff` looks at the head of the file only;
:func:`extension_mismatch` says whether the name disagrees with the content.

FFmpeg recognises formats in almost anything: one random 64-byte file in a couple of
thousand passes for CD Graphics, text passes for ANSI art or subtitles, and playlists and
concat scripts make it open other files or the network. So verify tells FFmpeg which
demuxers it may use at all (:data:`FOOTAGE_FORMATS` for decoding pictures, plus
:data:`AUDIO_FORMATS` for probing), as its ``format_whitelist`` (checked after FFmpeg's
probe, before it reads anything further), and only the ``file`` protocol
(:func:`ffmpeg_options`); a demuxer FFmpeg picks by the name alone must agree with the
bytes (:func:`plausible`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["video", "audio", "image", "text", "unknown"]

#: Bytes :func:`sniff` wants to see (more is ignored).
HEAD_BYTES = 4096


@dataclass(frozen=True)
class Sniffed:
    """The result of a magic-byte check: ``kind`` and a short ``format`` name."""

    kind: Kind
    format: str  # "jpeg", "png", "mp4", "mov", "heic", "matroska", "webm", ... or "unknown"
    mime: str = ""


_UNKNOWN = Sniffed("unknown", "unknown")

# ISO base media (ftyp) brands, first four bytes of the major brand
_IMAGE_BRANDS = {
    "heic": "heic", "heix": "heic", "heim": "heic", "heis": "heic", "hevc": "heic", "hevx": "heic",
    "mif1": "heif", "msf1": "heif", "avif": "avif", "avis": "avif",
}  # fmt: skip
_AUDIO_BRANDS = {"M4A ": "m4a", "M4B ": "m4a", "M4P ": "m4a", "F4A ": "m4a"}


def _bmff(head: bytes) -> Sniffed | None:
    """ISO base media / QuickTime: ``ftyp`` or a bare top-level atom at offset 4."""
    box = head[4:8]
    if box == b"ftyp":
        brand = head[8:12].decode("latin-1")
        if brand in _IMAGE_BRANDS:
            fmt = _IMAGE_BRANDS[brand]
            return Sniffed("image", fmt, f"image/{fmt}")
        if brand in _AUDIO_BRANDS:
            return Sniffed("audio", "m4a", "audio/mp4")
        if brand == "qt  ":
            return Sniffed("video", "mov", "video/quicktime")
        if brand.startswith("3g"):
            return Sniffed("video", "3gp", "video/3gpp")
        if brand.startswith("crx"):
            return Sniffed("image", "cr3", "image/x-canon-cr3")
        return Sniffed("video", "mp4", "video/mp4")
    if box in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return Sniffed("video", "mov", "video/quicktime")
    return None


def _riff(head: bytes) -> Sniffed | None:
    if head[:4] != b"RIFF":
        return None
    sub = head[8:12]
    if sub == b"WEBP":
        return Sniffed("image", "webp", "image/webp")
    if sub.startswith(b"AVI"):
        return Sniffed("video", "avi", "video/x-msvideo")
    if sub == b"WAVE":
        return Sniffed("audio", "wav", "audio/wav")
    return Sniffed("unknown", "riff")


def _ts(head: bytes) -> Sniffed | None:
    """MPEG transport stream: sync byte 0x47 every 188 (TS) or 192 (M2TS) bytes."""
    for size, off, fmt in ((188, 0, "mpegts"), (192, 4, "m2ts")):
        n = (len(head) - off) // size
        if n >= 1 and all(head[off + i * size] == 0x47 for i in range(min(n, 5))):
            return Sniffed("video", fmt, "video/mp2t")
    return None


def _is_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # a cut multi-byte sequence at the end is still text
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    printable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return printable >= 0.97 * max(1, len(text))


def sniff(head: bytes) -> Sniffed:
    """Identify a file from its first bytes (pass at least the first 4 KiB)."""
    h = head[:HEAD_BYTES]
    if h[:3] == b"\xff\xd8\xff":
        return Sniffed("image", "jpeg", "image/jpeg")
    if h[:8] == b"\x89PNG\r\n\x1a\n":
        return Sniffed("image", "png", "image/png")
    if h[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image", "gif", "image/gif")
    if h[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image", "tiff", "image/tiff")
    if h[:2] == b"BM" and len(h) > 14:
        return Sniffed("image", "bmp", "image/bmp")
    if h[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n" or h[:4] == b"\xff\x4f\xff\x51":
        return Sniffed("image", "jpeg2000", "image/jp2")
    if h[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n":
        return Sniffed("image", "jpegxl", "image/jxl")
    for probe in (_bmff, _riff):
        found = probe(h)
        if found is not None:
            return found
    if h[:4] == b"\x1a\x45\xdf\xa3":
        if b"webm" in h[:64]:
            return Sniffed("video", "webm", "video/webm")
        return Sniffed("video", "matroska", "video/x-matroska")
    if h[:3] == b"FLV":
        return Sniffed("video", "flv", "video/x-flv")
    if h[:16] == bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"):
        return Sniffed("video", "asf", "video/x-ms-asf")
    if h[:4] == b".RMF":
        return Sniffed("video", "rm", "application/vnd.rn-realmedia")
    if h[:4] == bytes.fromhex("060e2b34"):
        return Sniffed("video", "mxf", "application/mxf")
    if h[:4] == b"\x00\x00\x01\xba":
        return Sniffed("video", "mpeg", "video/mpeg")
    if h[:3] == b"\x1f\x07\x00":
        return Sniffed("video", "dv", "video/dv")
    if h[:4] == b"OggS":
        return Sniffed("audio", "ogg", "audio/ogg")
    if h[:4] == b"fLaC":
        return Sniffed("audio", "flac", "audio/flac")
    if h[:3] == b"ID3" or (len(h) > 1 and h[0] == 0xFF and (h[1] & 0xE6) in (0xE2, 0xE4, 0xE6)):
        return Sniffed("audio", "mp3", "audio/mpeg")
    found = _ts(h)
    if found is not None:
        return found
    if _is_text(h):
        return Sniffed("text", "text", "text/plain")
    return _UNKNOWN


# extension -> the sniffed formats it may honestly hold
_EXPECTED: dict[str, set[str]] = {
    "jpg": {"jpeg"}, "jpeg": {"jpeg"}, "jpe": {"jpeg"}, "png": {"png"}, "gif": {"gif"},
    "tif": {"tiff"}, "tiff": {"tiff"}, "dng": {"tiff"}, "webp": {"webp"}, "bmp": {"bmp"},
    "heic": {"heic", "heif"}, "heif": {"heic", "heif"}, "avif": {"avif"},
    "mp4": {"mp4", "mov", "3gp", "m4a"}, "m4v": {"mp4", "mov"}, "mov": {"mov", "mp4"},
    "qt": {"mov", "mp4"}, "3gp": {"3gp", "mp4"}, "3g2": {"3gp", "mp4"}, "m4a": {"m4a", "mp4"},
    "mkv": {"matroska", "webm"}, "webm": {"webm", "matroska"}, "mka": {"matroska", "webm"},
    "avi": {"avi"}, "wav": {"wav"}, "flv": {"flv"}, "wmv": {"asf"}, "asf": {"asf"}, "wma": {"asf"},
    "rm": {"rm"}, "rmvb": {"rm"}, "mxf": {"mxf"}, "dv": {"dv"}, "mpg": {"mpeg", "mpegts"},
    "mpeg": {"mpeg", "mpegts"}, "vob": {"mpeg"}, "ts": {"mpegts", "m2ts"}, "mts": {"m2ts", "mpegts"},
    "m2ts": {"m2ts", "mpegts"}, "ogg": {"ogg"}, "ogv": {"ogg"}, "oga": {"ogg"}, "opus": {"ogg"},
    "flac": {"flac"}, "mp3": {"mp3"}, "txt": {"text"},
}  # fmt: skip


def extension_mismatch(name: str, sniffed: Sniffed) -> bool:
    """True when the file name's extension claims a format the content is not.

    Unknown extensions and unrecognised content are never a mismatch (nothing
    to compare).
    """
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = _EXPECTED.get(ext)
    if not expected or sniffed.format in ("unknown", "riff"):
        return False
    return sniffed.format not in expected


#: FFmpeg demuxers that carry footage or stills (names as in ``ffmpeg -demuxers``).
FOOTAGE_FORMATS = frozenset(
    {
        "mov", "mp4", "m4a", "3gp", "3g2", "mj2",  # QuickTime / ISO BMFF (HEIF/AVIF too)
        "matroska", "webm", "avi", "mpegts", "mpeg", "mpegvideo", "flv", "asf", "mxf", "dv", "ogg",
        "rm", "gxf", "nut", "wtv", "ivf", "obu", "h264", "hevc", "m4v", "mjpeg", "yuv4mpegpipe",
        "image2", "gif", "apng", "png_pipe", "jpeg_pipe", "jpegls_pipe", "webp_pipe", "tiff_pipe",
        "bmp_pipe", "gif_pipe", "j2k_pipe", "jpegxl_pipe",
    }
)  # fmt: skip
#: Audio-only containers: probed (a recording is evidence too), never fingerprinted.
AUDIO_FORMATS = frozenset(
    {"mp3", "wav", "w64", "flac", "aac", "aiff", "amr", "ac3", "eac3", "caf", "ape", "wv", "dts", "truehd"}
)


#: Demuxers FFmpeg picks by the file name alone (``image2``) or by a weak signature (the picture
#: pipes: ``ff 0a`` is a JPEG XL codestream to FFmpeg): accepted only when the bytes are a picture.
BY_NAME_ONLY = frozenset({"image2"})


def is_footage_format(ffmpeg_name: str) -> bool:
    """Whether an FFmpeg format name (``"mov,mp4,m4a,3gp,3g2,mj2"``) is one of :data:`FOOTAGE_FORMATS`."""
    return any(part in FOOTAGE_FORMATS for part in ffmpeg_name.split(","))


def plausible(ffmpeg_name: str, sniffed: Sniffed) -> bool:
    """Whether what FFmpeg opened agrees with the file's first bytes: a demuxer chosen by the
    name alone (``image2`` for ``*.jpg``) needs picture bytes (random bytes named ``.jpg`` are
    not a picture)."""
    if ffmpeg_name in BY_NAME_ONLY or ffmpeg_name.endswith("_pipe"):
        return sniffed.kind == "image"
    return True


def ffmpeg_options(*, audio: bool = False, max_pixels: int | None = None) -> dict[str, str]:
    """Options for ``av.open`` on an untrusted file: only these demuxers, only local files."""
    allowed = FOOTAGE_FORMATS | AUDIO_FORMATS if audio else FOOTAGE_FORMATS
    options = {"format_whitelist": ",".join(sorted(allowed)), "protocol_whitelist": "file"}
    if max_pixels is not None:
        options["max_pixels"] = str(max_pixels)
    return options
