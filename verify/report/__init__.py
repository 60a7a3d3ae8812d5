"""Reports: the record of what was examined, with what, what was found, and its custody.

``build_report(path, library=..., notes=...)`` runs the pipeline and returns a
:class:`Report`; ``verify.export.export`` renders it (md/html/json/pdf);
``verify.case`` saves and re-opens it as a ``.verify.zip``.
"""

from typing import Any

from ..digest import file_digests
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


def __getattr__(name: str) -> Any:
    """``build_report`` and ``versions`` load the analysis stages (PyAV, numpy, ...) on first use, so
    reading a report record (``verify.report.model``, case files) stays cheap."""
    if name in ("build_report", "versions"):
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
