"""One analysis per file: ``analyse(path, library=...) -> Analysis``.

An :class:`Analysis` holds everything verify found about one file (probe, fingerprint,
keyframes, matches with their evidence frame pairs, digests) and is made from one read of the
file (the probe's digest pass) and one decode (the fingerprint pass, which also keeps the
pictures keyframes and evidence are cut from). The CLI's ``report``, ``case save`` and
``evidence``, the workbench's pages and every export take an ``Analysis`` and never recompute
it. Stages: :func:`begin` (probe), :func:`decode`, :func:`match` (with the evidence frame pairs, or
without them and :func:`cut_pairs` after), and optionally :func:`ocr` (the text
on screen of the keyframes; see :mod:`.run`).
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
from .run import analyse, begin, cut_pairs, decode, match, ocr, pick_evenly

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
    "cut_pairs",
    "decode",
    "match",
    "ocr",
    "pick_evenly",
]
