"""Turn the packets found in a file into one :class:`XmpInfo` (never raises for bad metadata)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .iim import parse_iim
from .locate import find_packets
from .model import HistoryEvent, IptcFields, Location, XmpInfo
from .parse import PacketRefused, parse_packet
from .vocab import generator_names

log = logging.getLogger("verify")

#: Most flattened properties kept for display.
MAX_PROPERTIES = 500


def _first(v: Any) -> str | None:
    if isinstance(v, list):
        v = next((x for x in v if isinstance(x, str) and x), None)
    return v if isinstance(v, str) and v else None


def _strings(v: Any) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v,) if v else ()
    if isinstance(v, list):
        return tuple(x for x in v if isinstance(x, str) and x)
    return ()


def _structs(v: Any) -> list[dict[str, Any]]:
    if isinstance(v, dict):
        return [v]
    if isinstance(v, list):
        return [x for x in v if isinstance(x, dict)]
    return []


def _flatten(key: str, value: Any, out: dict[str, str]) -> None:
    if len(out) >= MAX_PROPERTIES:
        return
    if isinstance(value, str):
        out[key] = value
    elif isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{key}/{k}", v, out)
    elif isinstance(value, list):
        if all(isinstance(x, str) for x in value):
            out[key] = "; ".join(value)
        else:
            for i, v in enumerate(value, start=1):
                _flatten(f"{key}[{i}]", v, out)


def _location(d: dict[str, Any]) -> Location:
    g = d.get
    return Location(
        sublocation=_first(g("iptcExt:Sublocation")),
        city=_first(g("iptcExt:City")),
        state=_first(g("iptcExt:ProvinceState")),
        country=_first(g("iptcExt:CountryName")),
        country_code=_first(g("iptcExt:CountryCode")),
        world_region=_first(g("iptcExt:WorldRegion")),
    )


def _history(v: Any) -> tuple[HistoryEvent, ...]:
    return tuple(
        HistoryEvent(
            action=_first(e.get("stEvt:action")) or "",
            software_agent=_first(e.get("stEvt:softwareAgent")),
            when=_first(e.get("stEvt:when")),
            changed=_first(e.get("stEvt:changed")),
            instance_id=_first(e.get("stEvt:instanceID")),
            parameters=_first(e.get("stEvt:parameters")),
        )
        for e in _structs(v)
    )


def _xmp_iptc(p: dict[str, Any]) -> IptcFields:
    return IptcFields(
        creator=_strings(p.get("dc:creator")),
        credit=_first(p.get("photoshop:Credit")),
        copyright=_first(p.get("dc:rights")),
        source=_first(p.get("photoshop:Source")),
        headline=_first(p.get("photoshop:Headline")),
        description=_first(p.get("dc:description")),
        title=_first(p.get("dc:title")),
        keywords=_strings(p.get("dc:subject")),
        date_created=_first(p.get("photoshop:DateCreated")),
        sublocation=_first(p.get("iptcCore:Location")),
        city=_first(p.get("photoshop:City")),
        state=_first(p.get("photoshop:State")),
        country=_first(p.get("photoshop:Country")),
        country_code=_first(p.get("iptcCore:CountryCode")),
        location_created=tuple(_location(d) for d in _structs(p.get("iptcExt:LocationCreated"))),
        location_shown=tuple(_location(d) for d in _structs(p.get("iptcExt:LocationShown"))),
        digital_source_type=_first(p.get("iptcExt:DigitalSourceType")),
    )


def _iim_fields(d: dict[str, Any]) -> IptcFields:
    date = _first(d.get("DateCreated"))
    return IptcFields(
        creator=_strings(d.get("By-line")),
        credit=_first(d.get("Credit")),
        copyright=_first(d.get("CopyrightNotice")),
        source=_first(d.get("Source")),
        headline=_first(d.get("Headline")),
        description=_first(d.get("Caption-Abstract")),
        title=_first(d.get("ObjectName")),
        keywords=_strings(d.get("Keywords")),
        date_created=" ".join(x for x in (date, _first(d.get("TimeCreated"))) if x) or None,
        sublocation=_first(d.get("Sub-location")),
        city=_first(d.get("City")),
        state=_first(d.get("Province-State")),
        country=_first(d.get("Country-PrimaryLocationName")),
        country_code=_first(d.get("Country-PrimaryLocationCode")),
        originating_program=" ".join(
            x for x in (_first(d.get("OriginatingProgram")), _first(d.get("ProgramVersion"))) if x
        )
        or None,
    )


def read_xmp(path: str | Path, fmt: str, tags: Mapping[str, Mapping[str, str]] | None = None) -> XmpInfo:
    """XMP and IPTC of ``path`` (``fmt``: the sniffed format; ``tags``: FFmpeg's tags by place).

    Packets that are hostile (a DTD or entities: XML bombs; external references) or over a
    bound are refused with a one-line note in ``refused``; the rest of the file still counts.
    """
    found = find_packets(Path(path), fmt, tags)
    props: dict[str, Any] = {}
    iim: dict[str, Any] = {}
    sources: list[str] = []
    refused: list[str] = [n for n in found.notes if "refused" in n]
    notes: list[str] = [n for n in found.notes if "refused" not in n]
    for packet in found.packets:
        if packet.kind == "iim":
            for k, v in parse_iim(packet.data).items():
                iim.setdefault(k, v)
            sources.append(f"{packet.source} (IPTC IIM)")
            continue
        try:
            parsed = parse_packet(packet.data)
        except PacketRefused as exc:
            refused.append(f"XMP packet in {packet.source} refused: {exc.reason}")
            log.info("%s: XMP packet in %s refused: %s", path, packet.source, exc.reason)
            continue
        for k, v in parsed.items():
            props.setdefault(k, v)
        sources.append(packet.source)
    flat: dict[str, str] = {}
    for k, v in props.items():
        _flatten(k, v, flat)
    history = _history(props.get("xmpMM:History"))
    iptc, iim_fields = _xmp_iptc(props), _iim_fields(iim)
    creator_tool = _first(props.get("xmp:CreatorTool"))
    software = _first(props.get("tiff:Software"))
    tools = [creator_tool, software, iptc.credit, iim_fields.credit, iim_fields.originating_program]
    tools += [e.software_agent for e in history]
    generators = tuple(dict.fromkeys(g for t in tools for g in generator_names(t)))
    derived = {
        k.split(":", 1)[1]: v
        for k, v in (props.get("xmpMM:DerivedFrom") or {}).items()
        if isinstance(v, str) and k.startswith("stRef:")
    } if isinstance(props.get("xmpMM:DerivedFrom"), dict) else {}  # fmt: skip
    return XmpInfo(
        sources=tuple(sources),
        toolkit=_first(props.get("x:XMPToolkit")),
        creator_tool=creator_tool,
        software=software,
        create_date=_first(props.get("xmp:CreateDate")),
        modify_date=_first(props.get("xmp:ModifyDate")),
        metadata_date=_first(props.get("xmp:MetadataDate")),
        document_id=_first(props.get("xmpMM:DocumentID")),
        original_document_id=_first(props.get("xmpMM:OriginalDocumentID")),
        instance_id=_first(props.get("xmpMM:InstanceID")),
        derived_from=derived,
        history=history,
        iptc=iptc,
        iim=iim_fields,
        digital_source_type=iptc.digital_source_type,
        generators=generators,
        properties=flat,
        refused=tuple(refused),
        notes=tuple(notes),
    )
