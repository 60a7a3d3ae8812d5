"""Reports: the record of what was examined, with what, what was found, and its custody.

``build_report(analysis, notes=...)`` turns one :class:`verify.analysis.Analysis` into a
:class:`Report`; ``verify.export.export`` renders it (md/html/json/pdf);
``verify.case`` saves and re-opens it as a ``.verify.zip``.
"""

from ..analysis.model import FramePair, KeyframeRecord, LibraryState
from ..custody import CustodyEntry, CustodyLog
from ..pictures import ImageRef
from .build import build_report, case_id_for, versions
from .model import SCHEMA_VERSION, FileRecord, MatchRecord, Report, upgrade

__all__ = [
    "SCHEMA_VERSION",
    "CustodyEntry",
    "CustodyLog",
    "FileRecord",
    "FramePair",
    "ImageRef",
    "KeyframeRecord",
    "LibraryState",
    "MatchRecord",
    "Report",
    "build_report",
    "case_id_for",
    "upgrade",
    "versions",
]
