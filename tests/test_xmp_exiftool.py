"""XMP and IPTC read by verify agree with exiftool on every corpus file that has any.

exiftool (Debian ``libimage-exiftool-perl``) is the reference: ``exiftool -j -n -G1 -XMP:all
-IPTC:all``. Every field verify reads that exiftool also reports is compared: the typed fields
(history, ids, IPTC Core and IIM) and every simple XMP property. exiftool turns rationals and
GPS coordinates into decimals even with ``-n``; the comparison does the same to verify's raw text.
Skips when exiftool or the corpus is absent.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from verify.probe import probe
from verify.xmp import XmpInfo
from verify.xmp.parse import MAX_VALUE

EXIFTOOL = shutil.which("exiftool")
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(EXIFTOOL is None, reason="exiftool (libimage-exiftool-perl) is not installed"),
]

_DATE = re.compile(r"(\d{4})[-:](\d\d)[-:](\d\d)[T ](.*)")
_GPS = re.compile(r"(\d+),(\d+(?:\.\d+)?)([NSEW])")


def _number(s: str) -> str | None:
    if re.fullmatch(r"-?\d+/0", s):
        return "undef"
    try:
        return repr(round(float(Fraction(s)), 6))
    except (ValueError, ZeroDivisionError):
        return None


#: exiftool's conversions of APEX values (exiftool's Exif.pm): shutter speed 2^-v s, aperture 2^(v/2).
_APEX = {"ShutterSpeedValue": lambda v: 2 ** -v, "ApertureValue": lambda v: 2 ** (v / 2),
         "MaxApertureValue": lambda v: 2 ** (v / 2)}  # fmt: skip


def norm(v: Any) -> Any:
    if isinstance(v, list):
        return [norm(x) for x in v]
    s = str(v).strip()
    m = _GPS.fullmatch(s)
    if m:
        deg = float(m[1]) + float(m[2]) / 60
        return repr(round(-deg if m[3] in "SW" else deg, 6))
    m = _DATE.fullmatch(s)
    if m:
        return f"{m[1]}:{m[2]}:{m[3]} {m[4]}"
    if " " in s and all(p == "undef" or _number(p) for p in s.split()):
        return " ".join(p if p == "undef" else (_number(p) or p) for p in s.split()).replace("'", "")
    return _number(s) or s


def verify_fields(x: XmpInfo) -> dict[str, Any]:
    """verify's values under exiftool's group:name."""
    out: dict[str, Any] = {}
    for k, v in x.properties.items():
        if "/" in k or "[" in k:
            continue  # structures: compared through the typed fields below
        prefix, name = k.split(":", 1)
        if prefix == "exif" and name in _APEX and _number(v):
            v = repr(_APEX[name](float(Fraction(v))))
        out[f"XMP-{prefix}:{name[0].upper()}{name[1:]}"] = v.split("; ") if "; " in v else v
    history = {
        "HistoryAction": [e.action for e in x.history],
        "HistoryWhen": [e.when for e in x.history],
        "HistorySoftwareAgent": [e.software_agent for e in x.history],
        "HistoryChanged": [e.changed for e in x.history],
    }
    for k, values in history.items():
        present = [v for v in values if v is not None]
        if present:
            out[f"XMP-xmpMM:{k}"] = present if len(present) > 1 else present[0]
    i = x.iim
    iim = {
        "By-line": list(i.creator), "Credit": i.credit, "CopyrightNotice": i.copyright,
        "Headline": i.headline, "Caption-Abstract": i.description, "City": i.city,
        "Province-State": i.state, "Country-PrimaryLocationName": i.country, "Sub-location": i.sublocation,
        "ObjectName": i.title, "Keywords": list(i.keywords), "Source": i.source,
        "Country-PrimaryLocationCode": i.country_code,
    }  # fmt: skip
    for k, v in iim.items():
        if v:
            out[f"IPTC:{k}"] = v[0] if isinstance(v, list) and len(v) == 1 else v
    return out


def test_agreement_with_exiftool(corpus: Path) -> None:
    compared = agreed = files = 0
    disagreements: list[str] = []
    unread: list[str] = []
    run = subprocess.run(
        [EXIFTOOL, "-j", "-n", "-G1", "-XMP:all", "-IPTC:all", str(corpus / "files")],  # type: ignore[list-item]
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    for theirs in json.loads(run.stdout or "[]"):
        path = Path(theirs.pop("SourceFile"))
        if not theirs or path.stat().st_size == 0:
            continue
        files += 1
        x = probe(path).xmp
        if x is None:
            unread.append(path.name)
            continue
        for key, value in verify_fields(x).items():
            if key not in theirs:
                continue
            compared += 1
            ours, ref = norm(value), norm(theirs[key])
            if (
                isinstance(ours, str) and len(str(value)) >= MAX_VALUE
            ):  # verify keeps the first 10,000 characters
                ref = ref[: len(ours)] if isinstance(ref, str) else ref
            if ours == ref:
                agreed += 1
            else:
                disagreements.append(f"{path.name} {key}: verify {ours!r} exiftool {ref!r}")
    print(f"\nXMP/IPTC vs exiftool: {files} files, {compared} fields compared, {agreed} agree")
    assert files >= 30, "the corpus should hold at least 30 files with XMP or IPTC"
    assert not unread, f"exiftool reads XMP/IPTC that verify does not: {unread}"
    assert compared >= 500
    assert not disagreements, "\n".join(disagreements[:30])
