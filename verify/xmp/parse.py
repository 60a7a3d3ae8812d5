"""Parse one XMP packet with a hardened XML parser and flatten its RDF into properties.

The parser is defusedxml's: a DOCTYPE is refused outright (so no entity can be declared,
let alone expanded: a "billion laughs" packet stops at its first line), external
entities and references are refused, and the tree builder counts as it goes, refusing a
packet with more than :data:`MAX_ELEMENTS` elements or nested deeper than
:data:`MAX_DEPTH`. Sizes are bounded before parsing (:data:`.locate.MAX_PACKET`).

:func:`parse_packet` returns a dict ``"prefix:Name" -> value`` where a value is a string, a
list (``rdf:Seq``/``rdf:Bag``/``rdf:Alt``) or a dict (a structure), and ``prefix`` is the
short name of the namespace as exiftool's XMP groups spell it (``xmp``, ``xmpMM``, ``dc``,
``photoshop``, ``iptcCore``, ``iptcExt``, …).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from .locate import MAX_PACKET

#: Most elements in one packet.
MAX_ELEMENTS = 20_000
#: Deepest element nesting in one packet (real XMP rarely goes past 10).
MAX_DEPTH = 40
#: Longest single value kept (characters); longer ones are cut.
MAX_VALUE = 10_000

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_NS = "http://www.w3.org/XML/1998/namespace"

PREFIXES = {
    "adobe:ns:meta/": "x",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/xap/1.0/bj/": "xmpBJ",
    "http://ns.adobe.com/xap/1.0/t/pg/": "xmpTPg",
    "http://ns.adobe.com/xmp/1.0/DynamicMedia/": "xmpDM",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "iptcCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "iptcExt",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#": "stEvt",
    "http://ns.adobe.com/xap/1.0/sType/ResourceRef#": "stRef",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
    "http://ns.google.com/photos/1.0/container/": "GContainer",
    "http://ns.apple.com/HDRGainMap/1.0/": "HDRGainMap",
    "http://c2pa.org/": "c2pa",
}


class PacketRefused(ValueError):
    """The packet is hostile or over a bound; ``reason`` is one short phrase."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class _BoundedBuilder(ET.TreeBuilder):
    def __init__(self) -> None:
        super().__init__()
        self.elements = 0
        self.depth = 0

    def start(self, tag: Any, attrs: Any) -> ET.Element:
        self.elements += 1
        self.depth += 1
        if self.elements > MAX_ELEMENTS:
            raise PacketRefused(f"more than {MAX_ELEMENTS:,} XML elements")
        if self.depth > MAX_DEPTH:
            raise PacketRefused(f"XML nested deeper than {MAX_DEPTH} levels")
        return super().start(tag, attrs)

    def end(self, tag: Any) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


def _clean(data: bytes) -> bytes:
    start = data.find(b"<")
    if start < 0:
        raise PacketRefused("no XML in the packet")
    return data[start:].rstrip(b"\x00 \t\r\n")


def parse_xml(data: bytes) -> ET.Element:
    """The root element of an XMP packet, parsed within the bounds (raises :class:`PacketRefused`)."""
    if len(data) > MAX_PACKET:
        raise PacketRefused(f"{len(data):,} bytes is over the {MAX_PACKET:,}-byte limit")
    parser = DefusedXMLParser(
        target=_BoundedBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(_clean(data))
        return parser.close()
    except PacketRefused:
        raise
    except DefusedXmlException as exc:
        name = type(exc).__name__
        what = {
            "DTDForbidden": "it has a DTD, which XMP never has: that is where XML bombs ('billion laughs') "
            "and external entities are declared",
            "EntitiesForbidden": "it declares XML entities (as in a 'billion laughs' XML bomb)",
            "ExternalReferenceForbidden": "it refers to an external entity",
        }.get(name, name)
        raise PacketRefused(what) from exc
    except ET.ParseError as exc:
        raise PacketRefused(f"not well-formed XML ({exc})") from exc


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return "", tag


def prefix_of(uri: str) -> str:
    if uri in PREFIXES:
        return PREFIXES[uri]
    tail = re.sub(r"[^A-Za-z0-9]+", " ", uri).split()
    return tail[-1] if tail else "ns"


def key_of(tag: str) -> str:
    uri, local = _split(tag)
    return f"{prefix_of(uri)}:{local}"


def _text(el: ET.Element) -> str:
    return (el.text or "").strip()[:MAX_VALUE]


def _struct(el: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in el.attrib.items():
        uri, _ = _split(name)
        if uri not in (RDF, XML_NS):
            out[key_of(name)] = value[:MAX_VALUE]
    for child in el:
        uri, local = _split(child.tag)
        if uri == RDF and local == "Description":
            out.update(_struct(child))
        elif uri != RDF:
            out[key_of(child.tag)] = _value(child)
    return out


def _value(el: ET.Element) -> Any:
    """The value of one property element: text, list or structure."""
    resource = el.get(f"{{{RDF}}}resource")
    if resource is not None:
        return resource[:MAX_VALUE]
    children = list(el)
    for child in children:
        uri, local = _split(child.tag)
        if uri == RDF and local in ("Seq", "Bag", "Alt"):
            return [_value(li) for li in child if _split(li.tag) == (RDF, "li")]
    if el.get(f"{{{RDF}}}parseType") == "Resource":
        return _struct(el)
    if any(_split(c.tag) == (RDF, "Description") for c in children):
        return _struct(el)
    plain_attrs = [a for a in el.attrib if _split(a)[0] not in (RDF, XML_NS)]
    if plain_attrs and not children:
        return _struct(el)
    if children:
        return _struct(el)
    return _text(el)


def parse_packet(data: bytes) -> dict[str, Any]:
    """Every property of the packet, keyed ``prefix:Name`` (raises :class:`PacketRefused`)."""
    root = parse_xml(data)
    out: dict[str, Any] = {}
    toolkit = root.get("{adobe:ns:meta/}xmptk")
    if toolkit:
        out["x:XMPToolkit"] = toolkit[:MAX_VALUE]
    rdfs = [root] if _split(root.tag) == (RDF, "RDF") else list(root.iter(f"{{{RDF}}}RDF"))
    for rdf in rdfs:
        for desc in rdf.findall(f"{{{RDF}}}Description"):
            out.update({k: v for k, v in _struct(desc).items() if k not in out})
    return out
