"""One analysis per file: ``analyse(path, library=...) -> Analysis``.

An :class:`Analysis` holds everything verify found about one file (probe, fingerprint,
keyframes, matches with their evidence frame pairs, digests) and is made from one read of the
file (the probe's digest pass) and one decode (the fingerprint pass, which also keeps the
pictures keyframes and evidence are cut from). The CLI's ``report``, ``case save`` and
``evidence``, the workbench's pages and every export take an ``Analysis`` and never recompute
it. Stages: :func:`begin` (probe), :func:`decode`, :func:`match` (see :mod:`.run`).
"""

from .model import (
    SCHEMA_VERSION,
    Analysis,
    AnalysisSettings,
    DecodeSummary,
    FramePair,
    KeyframeRecord,
    LibraryState,
)
from .pictures import SamplePicture, SamplePictures
from .run import analyse, begin, decode, match, pick_evenly

__all__ = [
    "SCHEMA_VERSION",
    "Analysis",
    "AnalysisSettings",
    "DecodeSummary",
    "FramePair",
    "KeyframeRecord",
    "LibraryState",
    "SamplePicture",
    "SamplePictures",
    "analyse",
    "begin",
    "decode",
    "match",
    "pick_evenly",
]
