"""Reports: the record of what was examined, with what, what was found, and its custody.

``build_report(path, library=..., notes=...)`` runs the pipeline and returns a
:class:`Report`; ``verify.export.export`` renders it (md/html/json/pdf);
``verify.case`` saves and re-opens it as a ``.verify.zip``.
"""

from ..digest import file_digests
from .build import build_report, versions
from .custody import CustodyEntry, CustodyLog
from .model import (
    SCHEMA_VERSION,
    FileRecord,
    FramePair,
    ImageRef,
    KeyframeRecord,
    LibraryInfo,
    MatchRecord,
    ReferenceInfo,
    Report,
    Signal,
    upgrade,
)

__all__ = [
    "SCHEMA_VERSION",
    "CustodyEntry",
    "CustodyLog",
    "FileRecord",
    "FramePair",
    "ImageRef",
    "KeyframeRecord",
    "LibraryInfo",
    "MatchRecord",
    "ReferenceInfo",
    "Report",
    "Signal",
    "build_report",
    "file_digests",
    "upgrade",
    "versions",
]
