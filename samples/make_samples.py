"""Build the "viral re-upload" demo clips in samples/viral/ from the known footage in samples/known/.

Each output imitates what happens to footage when it is re-posted on social media: cut, cropped,
mirrored, captioned, placed in a vertical 9:16 frame, re-encoded at low quality, its metadata
stripped. The workbench opens on ``viral/smoke-plume-claim.mp4``; matching it against the sample
library must find both pieces of known footage it was cut from.

Run: ``.venv/bin/python samples/make_samples.py`` (needs only the Python requirements: the ffmpeg
binary comes from ``shutil.which("ffmpeg")`` or else imageio-ffmpeg). The outputs are committed, so
running this is only needed to rebuild them; encoders differ between builds, so bytes will differ.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import ffmpeg
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
KNOWN = HERE / "known"
OUT = HERE / "viral"

#: What a re-upload loses and gains: no source metadata, an FFmpeg encoder tag, low bit rate.
ENCODE = {"vcodec": "libx264", "crf": 30, "preset": "medium", "pix_fmt": "yuv420p", "movflags": "+faststart"}


def ffmpeg_exe() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def caption_png(path: Path, width: int, height: int, lines: list[str], *, bg: str = "#000000") -> Path:
    """A caption bar like the ones pasted over re-posted clips (drawn with Pillow, no font in ffmpeg)."""
    img = Image.new("RGBA", (width, height), bg)
    draw = ImageDraw.Draw(img)
    size = max(12, height // (len(lines) + 1))
    font = ImageFont.load_default(size=size)
    while size > 12 and max(draw.textlength(line, font=font) for line in lines) > width * 0.92:
        size -= 2
        font = ImageFont.load_default(size=size)
    y = (height - size * len(lines) * 1.15) / 2
    for line in lines:
        w = draw.textlength(line, font=font)
        draw.text(((width - w) / 2, y), line, fill="white", font=font)
        y += size * 1.15
    img.save(path)
    return path


def run(stream: ffmpeg.nodes.OutputStream) -> None:
    stream.overwrite_output().run(cmd=ffmpeg_exe(), quiet=True)


def vertical(
    segment: ffmpeg.nodes.FilterableStream, width: int, height: int
) -> ffmpeg.nodes.FilterableStream:
    """Fit a landscape picture into a vertical frame with black bars above and below."""
    scaled = segment.filter("scale", width, -2)
    return scaled.filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2", color="black").filter("setsar", 1)


def smoke_plume_claim(tmp: Path) -> Path:
    """The motivating clip: two pieces of old footage cut together under a false caption, 9:16."""
    w, h = 540, 960
    cap = caption_png(
        tmp / "cap1.png", w, 150, ["BREAKING: black smoke over", "army camp next to the airport"]
    )
    handle = caption_png(tmp / "handle.png", w, 60, ["@newsflash_now  ·  1.2M views"])
    airliner = ffmpeg.input(str(KNOWN / "airliner-over-airfield.mp4"), ss=0.5, t=8).video
    drone = ffmpeg.input(str(KNOWN / "drone-coastal-cliffs.mp4"), ss=1.5, t=8).video
    a = vertical(airliner.filter("fps", 30), w, h)
    # mirrored and cropped 12 %: a common trick to dodge automatic matching
    b = drone.filter("hflip").filter("crop", "iw*0.88", "ih*0.88").filter("fps", 30)
    b = vertical(b, w, h)
    joined = ffmpeg.concat(a, b, v=1, a=0)
    # the caption sits in the top bar and the poster's handle in the bottom one, as on short-video apps
    framed = ffmpeg.overlay(joined, ffmpeg.input(str(cap)), x=0, y=60)
    framed = ffmpeg.overlay(framed, ffmpeg.input(str(handle)), x=0, y=790)
    out = OUT / "smoke-plume-claim.mp4"
    run(ffmpeg.output(framed, str(out), r=30, map_metadata=-1, **ENCODE))
    return out


def flower_cropped(tmp: Path) -> Path:
    """Cropped 15 %, captioned along the bottom, scaled down and re-encoded hard."""
    cap = caption_png(tmp / "cap2.png", 640, 44, ["spring is here #nature"], bg="#202020")
    src = ffmpeg.input(str(KNOWN / "flower-close-up.mp4")).video
    pic = src.filter("crop", "iw*0.85", "ih*0.85").filter("scale", 640, 360).filter("setsar", 1)
    framed = ffmpeg.overlay(pic, ffmpeg.input(str(cap)), x=0, y=316)
    out = OUT / "flower-cropped-captioned.mp4"
    run(ffmpeg.output(framed, str(out), map_metadata=-1, **{**ENCODE, "crf": 34}))
    return out


def pancake_vertical_blur(tmp: Path) -> Path:
    """Placed in a 9:16 frame over a blurred, enlarged copy of itself (the TikTok look)."""
    w, h = 360, 640
    src = ffmpeg.input(str(KNOWN / "pancake-kitchen.mkv")).video.split()
    back = src[0].filter("scale", -2, h).filter("crop", w, h).filter("boxblur", 20)
    front = src[1].filter("scale", w, -2)
    framed = ffmpeg.overlay(back, front, x=0, y="(H-h)/2").filter("setsar", 1)
    out = OUT / "pancake-vertical-blurred.mp4"
    run(ffmpeg.output(framed, str(out), map_metadata=-1, **ENCODE))
    return out


def audio_over_still(tmp: Path) -> Path:
    """Old footage's sound under a new still picture: "listen" posts keep the sound and replace the
    picture, so only the sound can tell where it came from. The drone clip's sound, 0:01-0:11,
    mono at low bit rate, under a caption card drawn here (no picture of any known clip)."""
    w, h = 540, 960
    card = caption_png(
        tmp / "card.png",
        w,
        h,
        ["LISTEN:", "blasts heard near", "the camp tonight", "", "(audio from a resident)"],
        bg="#1d2630",
    )
    picture = ffmpeg.input(str(card), loop=1, framerate=30, t=10).video
    sound = ffmpeg.input(str(KNOWN / "drone-coastal-cliffs.mp4"), ss=1.0, t=10).audio
    out = OUT / "audio-over-still.mp4"
    run(ffmpeg.output(picture, sound, str(out), map_metadata=-1, acodec="aac", ac=1, ar=22050,
                      **{"b:a": "48k"}, t=10, **ENCODE))  # fmt: skip
    return out


BUILDERS = (smoke_plume_claim, flower_cropped, pancake_vertical_blur, audio_over_still)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="build only these (function names)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for build in BUILDERS:
            if args.only and build.__name__ not in args.only:
                continue
            out = build(Path(tmp))
            print(f"{out.relative_to(HERE)}  {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
