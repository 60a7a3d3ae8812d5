"""``verify probe FILE``: everything the file says about itself.

Human output by default (every value that came from the file is passed through
:func:`verify.text.safe_text`, because metadata is attacker-controlled);
``--json`` prints the full :class:`verify.probe.MediaInfo` record.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import click

from ..text import json_text, safe_text
from .views import ocr_lines, xmp_lines

if TYPE_CHECKING:
    from ..probe import MediaInfo, StreamInfo

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(text: str | None) -> int | None:
    """``500M`` / ``2G`` / ``1048576`` → bytes."""
    if text is None:
        return None
    m = _SIZE_RE.match(text)
    if not m:
        raise click.BadParameter(f"not a size: {text!r} (use e.g. 500M, 2G or a number of bytes)")
    factor = 1024 ** "bkmgt".index((m.group(2) or "b").lower())
    return int(float(m.group(1)) * factor)


def _s(value: Any, limit: int = 200) -> str:
    return safe_text(value, limit=limit)


def _stream_line(s: StreamInfo) -> str:
    parts = [f"#{s.index} {s.type}", _s(s.codec or "?")]
    if s.profile:
        parts.append(f"({_s(s.profile)})")
    if s.width and s.height:
        parts.append(f"{s.width}x{s.height}")
    if s.pix_fmt:
        parts.append(_s(s.pix_fmt))
    if s.avg_frame_rate:
        rate = f"{s.avg_frame_rate:.3f} fps"
        if s.real_frame_rate and abs(s.real_frame_rate - s.avg_frame_rate) > 0.01:
            rate += f" (real {s.real_frame_rate:.3f})"
        parts.append(rate)
    if s.frames:
        parts.append(f"{s.frames} frames")
    if s.rotation:
        parts.append(f"rotation {s.rotation:g}°")
    if s.sample_rate:
        parts.append(f"{s.sample_rate} Hz")
    if s.channels:
        parts.append(f"{s.channels} ch")
    if s.bit_rate:
        parts.append(f"{s.bit_rate / 1000:.0f} kb/s")
    if s.language and s.language != "und":
        parts.append(f"lang {_s(s.language)}")
    if s.handler:
        parts.append(f"handler {_s(s.handler, 60)!r}")
    if s.attached_pic:
        parts.append("(cover art)")
    return " ".join(parts)


def _tags(out: list[str], title: str, tags: dict[str, str]) -> None:
    if not tags:
        return
    out.append(f"  {title}:")
    for k, v in tags.items():
        out.append(f"    {_s(k, 80)} = {_s(v, 300)}")


def render(info: MediaInfo, *, all_tags: bool = False) -> str:
    """The human-readable report of one probe (sanitised)."""
    f = info.file
    out: list[str] = []
    if f is not None:
        out += [f"File       {_s(f.name)}", f"  size     {f.size:,} bytes", f"  sha256   {f.sha256}",
                f"  md5      {f.md5}", f"  content  {f.kind} ({_s(f.format)})"]  # fmt: skip
        if f.extension_mismatch:
            out.append(f"  NOTE     the .{_s(f.extension)} extension does not match the content")
    c = info.container
    if c is not None:
        desc = [_s(c.format_long or c.format)]
        if c.duration is not None:
            desc.append(f"{c.duration:.3f} s")
        if c.bit_rate:
            desc.append(f"{c.bit_rate / 1000:.0f} kb/s")
        if c.major_brand:
            brands = ", ".join(_s(b.strip()) for b in c.compatible_brands)
            desc.append(f"brand {_s(c.major_brand.strip())!r}" + (f" [{brands}]" if brands else ""))
        out.append("Container  " + ", ".join(desc))
    if info.streams:
        out.append("Streams")
        out += [f"  {_stream_line(s)}" for s in info.streams]
    w, h = info.upright_size()
    if w and h:
        out.append(f"Picture    {w}x{h} as shown" + (f" (rotated {info.rotation}°)" if info.rotation else ""))
    img = info.image
    if img is not None and img.exif is not None:
        e = img.exif
        out.append(f"EXIF       {len(e.tags)} tags" + (", thumbnail embedded" if e.thumbnail else ""))
        if e.orientation not in (None, 1):
            out.append(f"  orientation {e.orientation} ({_s(e.orientation_text)})")
    d = info.device
    if d.present or d.software:
        bits = [_s(d.label() or "?")]
        if d.software:
            bits.append(f"software {_s(d.software)}")
        if d.firmware:
            bits.append(f"firmware {_s(d.firmware)}")
        out.append("Device     " + ", ".join(bits))
    if info.creation_times:
        out.append("Creation times")
        for t in info.creation_times:
            shown = _s(t.local or t.raw) + (" (UTC " + t.utc + ")" if t.utc and t.tz != "+00:00" else "")
            if t.local is None:
                shown += " (unparsed)"
            elif t.tz is None:
                shown += " (time zone not stated)"
            out.append(f"  {_s(t.source, 80):<45} {shown}")
    for g in info.gps_all:
        if g.null_island:
            out.append(f"Location   0, 0 (null island: no real fix) from {_s(g.source)}")
        else:
            alt = f", altitude {g.altitude:.1f} m" if g.altitude is not None else ""
            out.append(f"Location   {g.latitude:.6f}, {g.longitude:.6f}{alt} from {_s(g.source)}")
    if info.encoder:
        out.append(f"Encoder    {_s(info.encoder)}")
    cp = info.c2pa
    line = f"C2PA       {_s(cp.state)}"
    if cp.present:
        line += f", issuer {_s(cp.issuer)}, generator {_s(cp.claim_generator)}"
        line += "".join(f"\n  action {_s(a.action)} {_s(a.software_agent or '')}" for a in cp.actions)
    elif cp.message:
        line += f" ({_s(cp.message)})"
    out.append(line)
    out += xmp_lines(info.xmp)
    out += _signals_block("Signals", info.signals)
    if c is not None or info.streams:
        out.append("Tags")
        if c is not None:
            _tags(out, "format", c.tags)
        for s in info.streams:
            _tags(out, f"stream {s.index}", s.tags)
    if all_tags and img is not None and img.exif is not None:
        _tags(out, "exif", img.exif.tags)
    if info.notes:
        out.append("Notes")
        out += [f"  {_s(n, 300)}" for n in info.notes]
    return "\n".join(out)


def _signals_block(title: str, signals: Any) -> list[str]:
    if not signals:
        return [f"{title}    none"]
    out = [title]
    for sig in signals:
        out.append(f"  [{sig.severity}] {sig.title}: {_s(sig.explanation, 400)}")
        for k, v in sig.fields.items():
            out.append(f"      {_s(k, 60)}: {_s(v, 300)}")
    return out


def register(cli: click.Group) -> None:
    @cli.command("probe")
    @click.argument("file", type=click.Path(dir_okay=True, path_type=str))
    @click.option("--json", "as_json", is_flag=True, help="Print the full record as JSON (for scripts).")
    @click.option("--all", "all_tags", is_flag=True, help="Also list every EXIF tag of a still.")
    @click.option("--pair", "pair", type=click.Path(path_type=str), default=None,
                  help="The still (or video) said to belong with FILE: compare device, time and place.")  # fmt: skip
    @click.option("--max-size", "max_size", default=None, metavar="SIZE",
                  help="Refuse files larger than this (e.g. 500M, 2G).")  # fmt: skip
    @click.option(
        "--ocr", is_flag=True, help="Also read the text on screen of the keyframes (slower: decodes)."
    )
    def probe_command(
        file: str, as_json: bool, all_tags: bool, pair: str | None, max_size: str | None, ocr: bool
    ) -> None:
        """Show everything FILE says about itself: hashes, format, streams, device,
        creation times, GPS, encoder, C2PA and provenance signals.

        Metadata is a lead, not proof: every tag can be forged.
        """
        from .. import serial
        from ..probe import probe
        from ..probe.signals import pair_signals

        limit = parse_size(max_size)
        info = probe(file, max_bytes=limit)
        other = probe(pair, max_bytes=limit) if pair else None
        pairs = []
        if other is not None:
            video, still = (info, other) if info.image is None else (other, info)
            pairs = pair_signals(video, still)
        text = None
        if ocr:
            from ..ocr import ocr_file

            text = ocr_file(file)
        if as_json:
            payload: Any = serial.to_jsonable(info)
            if text is not None:
                payload["ocr"] = serial.to_jsonable(text)
            if other is not None:
                payload = {"file": payload, "pair": serial.to_jsonable(other),
                           "pair_signals": serial.to_jsonable(pairs)}  # fmt: skip
            click.echo(json_text(payload, indent=2))
            return
        click.echo(render(info, all_tags=all_tags))
        if text is not None:
            click.echo("\n".join(ocr_lines(text)))
        if other is not None:
            click.echo("")
            click.echo(render(other, all_tags=all_tags))
            click.echo("")
            click.echo("\n".join(_signals_block("Pair signals", pairs)))
