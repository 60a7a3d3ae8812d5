"""The records :func:`verify.xmp.read_xmp` returns (frozen, schema-versioned; JSON via verify.serial).

Every string here came from the file and is stored verbatim: it is untrusted text, escaped
only where it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class HistoryEvent:
    """One entry of ``xmpMM:History``: which program did what, when (``stEvt`` fields)."""

    action: str = ""
    software_agent: str | None = None
    when: str | None = None
    changed: str | None = None
    instance_id: str | None = None
    parameters: str | None = None


@dataclass(frozen=True)
class Location:
    """An IPTC Extension location structure (``LocationCreated`` / ``LocationShown``)."""

    sublocation: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    country_code: str | None = None
    world_region: str | None = None

    def label(self) -> str:
        return ", ".join(p for p in (self.sublocation, self.city, self.state, self.country) if p)


@dataclass(frozen=True)
class IptcFields:
    """IPTC Core/Extension fields (from XMP) or IPTC IIM datasets (from the binary block)."""

    creator: tuple[str, ...] = ()
    credit: str | None = None
    copyright: str | None = None
    source: str | None = None
    headline: str | None = None
    description: str | None = None
    title: str | None = None
    keywords: tuple[str, ...] = ()
    date_created: str | None = None
    sublocation: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    country_code: str | None = None
    location_created: tuple[Location, ...] = ()
    location_shown: tuple[Location, ...] = ()
    digital_source_type: str | None = None
    originating_program: str | None = None

    @property
    def present(self) -> bool:
        return self != IptcFields()

    def place(self) -> str:
        return ", ".join(p for p in (self.sublocation, self.city, self.state, self.country) if p)


@dataclass(frozen=True)
class XmpInfo:
    """What a file's XMP packets (and IPTC IIM block) say. ``present`` when anything was read."""

    schema_version: int = SCHEMA_VERSION
    sources: tuple[str, ...] = ()  # where each packet was found ("JPEG APP1", "moov/udta/XMP_", ...)
    toolkit: str | None = None
    creator_tool: str | None = None
    software: str | None = None  # tiff:Software in XMP
    create_date: str | None = None
    modify_date: str | None = None
    metadata_date: str | None = None
    document_id: str | None = None
    original_document_id: str | None = None
    instance_id: str | None = None
    derived_from: dict[str, str] = field(default_factory=dict)  # stRef fields
    history: tuple[HistoryEvent, ...] = ()
    iptc: IptcFields = field(default_factory=IptcFields)  # IPTC Core/Extension in XMP
    iim: IptcFields = field(default_factory=IptcFields)  # IPTC IIM block
    digital_source_type: str | None = None  # as written (a URI or a bare term)
    generators: tuple[str, ...] = ()  # AI generator names found in tools and agents
    properties: dict[str, str] = field(default_factory=dict)  # every simple property, "prefix:Name"
    refused: tuple[str, ...] = ()  # packets refused (hostile or over a bound), one line each
    notes: tuple[str, ...] = ()  # other partial reads

    @property
    def present(self) -> bool:
        return bool(self.sources) or bool(self.refused)
