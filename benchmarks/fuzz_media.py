"""Fuzz harness: mutated real media through `verify probe` and `verify hash`, as a user would run them.

Takes >= 15 real files (the shared corpus, plus two PNGs that ship inside installed packages,
because the corpus has none), mutates them into N cases (byte flips, flips in the header,
truncation, chunk duplication, header zeroing, lies in length fields: ISO BMFF box sizes and
table counts, PNG chunk lengths and IHDR sizes, JPEG segment lengths and SOF sizes, RIFF chunk
sizes, Matroska/WebM element sizes) and runs ``python -m verify probe CASE`` and ``python -m
verify hash CASE --library ONE.db`` on each as child processes with a timeout. It counts exit
codes, tracebacks (must be 0), hangs (must be 0), peak RSS (max, per child via ``wait4``) and
checks the library's integrity after every hash (must be ok every time).

Seeded and reproducible: case ``i`` is made by ``numpy.random.default_rng([seed, i])`` from
source ``i mod len(sources)`` with mutator ``(i // len(sources)) mod len(MUTATORS)``;
``--keep DIR`` leaves the cases there to re-run one by hand.

    .venv/bin/python benchmarks/fuzz_media.py --cases 400 --seed 1 --jobs 2
    # -> benchmarks/results/fuzz_media.md

``tests/test_fuzz_media.py`` runs a CI-sized subset through the same functions.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "fuzz_media.md"

#: Corpus files (``files/`` of VERIFY_CORPUS): small, across the formats footage arrives in.
CORPUS_SOURCES = (
    "hachoir-sample.ts",  # MPEG-TS
    "exiftool-M2TS.mts",  # M2TS
    "hachoir-Panasonic-AG-HMC-151.mts",  # AVCHD M2TS
    "pigallery2-IMG_7943.heic",  # HEIC (iPhone)
    "pillowheif-L-exif-xmp-iptc.heic",  # HEIC with EXIF/XMP/IPTC
    "exifs-Canon-40D.jpg",  # JPEG, camera EXIF
    "immich-gps-datetime.jpg",  # JPEG, GPS
    "te-bridge-shrink-a-lot.jpg",  # JPEG
    "photoprism-isom-avc1.mp4",  # MP4 H.264
    "pigallery2-20240128-105420.mp4",  # MP4 phone clip
    "moviepy-test-video.mp4",  # tiny MP4
    "decord-video-90.mov",  # MOV with a display rotation
    "hachoir-pentax-320x240.mov",  # MOV, camera
    "exiftool-QuickTime.mov",  # MOV with tags
    "fileformat-sample.mkv",  # Matroska
    "exiftool-Matroska.mkv",  # Matroska
    "moviepy-transparent.webm",  # WebM VP9 with alpha
    "hachoir-smallville-s03e02.avi",  # AVI
    "exiftool-RIFF.avi",  # AVI
    "exiftool-Flash.flv",  # FLV
    "exiftool-ASF.wmv",  # ASF/WMV
    "exiftool-MXF.mxf",  # MXF
    "exiftool-DV.dv",  # DV
)


def package_pngs() -> list[Path]:
    """PNGs shipped inside installed packages (scipy: BSD-3-Clause; streamlit: Apache-2.0)."""
    found = []
    for module, rel in (("scipy", "ndimage/tests/dots.png"), ("streamlit", "static/favicon.png")):
        try:
            mod = __import__(module)
        except ImportError:
            continue
        p = Path(mod.__file__).parent / rel
        if p.is_file():
            found.append(p)
    return found


def sources(corpus: Path) -> list[Path]:
    files = [corpus / "files" / n for n in CORPUS_SOURCES if (corpus / "files" / n).is_file()]
    return files + package_pngs()


# -- length fields of the formats: where a lie hurts ------------------------------------------


def _bmff_fields(
    data: bytes, start: int = 0, end: int | None = None, depth: int = 0
) -> list[tuple[int, int]]:
    """(offset, width) of ISO BMFF box sizes and of table entry counts, descending into containers."""
    containers = {
        b"moov",
        b"trak",
        b"mdia",
        b"minf",
        b"stbl",
        b"edts",
        b"udta",
        b"dinf",
        b"iprp",
        b"ipco",
        b"mvex",
    }
    tables = {
        b"stsz",
        b"stco",
        b"co64",
        b"stts",
        b"stsc",
        b"stss",
        b"ctts",
        b"elst",
        b"iloc",
        b"iinf",
        b"pitm",
    }
    end = len(data) if end is None else end
    out = []
    pos = start
    while pos + 8 <= end and depth < 8:
        size = struct.unpack_from(">I", data, pos)[0]
        kind = data[pos + 4 : pos + 8]
        if size < 8 or pos + size > end:
            break
        out.append((pos, 4))
        body = pos + 8
        if kind == b"meta":
            out += _bmff_fields(data, body + 4, pos + size, depth + 1)
        elif kind in containers:
            out += _bmff_fields(data, body, pos + size, depth + 1)
        elif kind in tables and body + 8 <= pos + size:
            out.append((body + 4, 4))  # entry count after version/flags
        pos += size
    return out


def _png_fields(data: bytes) -> list[tuple[int, int]]:
    out = []
    pos = 8
    while pos + 12 <= len(data):
        length = struct.unpack_from(">I", data, pos)[0]
        out.append((pos, 4))
        if data[pos + 4 : pos + 8] == b"IHDR":
            out += [(pos + 8, 4), (pos + 12, 4)]  # width, height
        pos += 12 + length
    return out


def _jpeg_fields(data: bytes) -> list[tuple[int, int]]:
    out = []
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xD9, 0xDA):
            break
        out.append((pos + 2, 2))
        if marker in (0xC0, 0xC1, 0xC2) and pos + 9 <= len(data):
            out += [(pos + 5, 2), (pos + 7, 2)]  # height, width
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    return out


def _riff_fields(
    data: bytes, start: int = 0, end: int | None = None, depth: int = 0
) -> list[tuple[int, int]]:
    end = len(data) if end is None else end
    out = []
    pos = start
    while pos + 8 <= end and depth < 6:
        size = struct.unpack_from("<I", data, pos + 4)[0]
        out.append((pos + 4, -4))  # negative width: little-endian
        if data[pos : pos + 4] in (b"RIFF", b"LIST"):
            out += _riff_fields(data, pos + 12, min(end, pos + 8 + size), depth + 1)
        pos += 8 + size + (size & 1)
    return out


def _vint(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    length = next((i + 1 for i in range(8) if first & (0x80 >> i)), 8)
    value = first & (0xFF >> length)
    for b in data[pos + 1 : pos + length]:
        value = (value << 8) | b
    return value, length


def _ebml_fields(
    data: bytes, start: int = 0, end: int | None = None, depth: int = 0
) -> list[tuple[int, int]]:
    masters = {0x1A45DFA3, 0x18538067, 0x1549A966, 0x1654AE6B, 0xAE, 0xE0, 0x1F43B675, 0x114D9B74, 0x1254C367}
    end = len(data) if end is None else end
    out = []
    pos = start
    while pos + 2 <= end and depth < 6:
        ident, ilen = _vint(data, pos)
        ident |= (0x80 >> (ilen - 1)) << (8 * (ilen - 1))  # ids keep their marker bit
        if pos + ilen >= end:
            break
        size, slen = _vint(data, pos + ilen)
        out.append((pos + ilen, 100 + slen))  # width 100+n: an EBML size of n bytes
        body = pos + ilen + slen
        if ident in masters:
            out += _ebml_fields(data, body, min(end, body + size), depth + 1)
            if ident == 0x18538067:
                break
        pos = body + size
    return out


def length_fields(data: bytes) -> list[tuple[int, int]]:
    if data[4:8] == b"ftyp":
        return _bmff_fields(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _png_fields(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg_fields(data)
    if data[:4] == b"RIFF":
        return _riff_fields(data)
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return _ebml_fields(data)
    return []


# -- mutators --------------------------------------------------------------------------------

Mutator = Callable[[bytearray, np.random.Generator], str]


def flip_bytes(data: bytearray, rng: np.random.Generator) -> str:
    n = int(rng.integers(1, 33))
    for p in rng.integers(0, len(data), n):
        data[p] = int(rng.integers(0, 256))
    return f"{n} random bytes replaced"


def flip_header(data: bytearray, rng: np.random.Generator) -> str:
    n = int(rng.integers(1, 9))
    span = min(len(data), 4096)
    for p in rng.integers(0, span, n):
        data[p] ^= 1 << int(rng.integers(0, 8))
    return f"{n} bits flipped in the first {span} bytes"


def truncate(data: bytearray, rng: np.random.Generator) -> str:
    keep = max(1, int(len(data) * rng.uniform(0.02, 0.98)))
    del data[keep:]
    return f"cut to {keep} bytes"


def duplicate_chunk(data: bytearray, rng: np.random.Generator) -> str:
    size = int(rng.integers(16, max(17, min(65536, len(data)))))
    src = int(rng.integers(0, max(1, len(data) - size)))
    dst = int(rng.integers(0, len(data)))
    data[dst:dst] = data[src : src + size]
    return f"{size} bytes from {src} copied in at {dst}"


def zero_header(data: bytearray, rng: np.random.Generator) -> str:
    start = int(rng.integers(0, max(1, min(len(data), 256))))
    length = int(rng.integers(4, 129))
    data[start : start + length] = bytes(len(data[start : start + length]))
    return f"{length} bytes zeroed at {start}"


def lie_about_a_length(data: bytearray, rng: np.random.Generator) -> str:
    fields = length_fields(bytes(data))
    if not fields:  # no structure known (TS, FLV, ...): a 32-bit lie at a random aligned offset
        fields = [(int(rng.integers(0, max(1, len(data) - 4))) & ~3, 4)]
    offset, width = fields[int(rng.integers(0, len(fields)))]
    if width >= 100:  # EBML size: keep its length, change its value (all ones = "unknown size")
        n = width - 100
        value = int(rng.choice([0, 1, (1 << (7 * n)) - 1, int(rng.integers(0, 1 << (7 * n)))]))
        data[offset : offset + n] = (value | (1 << (7 * n))).to_bytes(n, "big")  # the length marker bit kept
        return f"EBML size at {offset} set to {value}"
    n, order = abs(width), ("little" if width < 0 else "big")
    old = int.from_bytes(data[offset : offset + n], order)
    top = (1 << (8 * n)) - 1
    value = int(rng.choice([0, 1, 7, max(0, old - 1), min(top, old + 1), min(top, old * 2), top, top >> 1,
                            int(rng.integers(0, top, dtype=np.uint64))]))  # fmt: skip
    data[offset : offset + n] = value.to_bytes(n, order)
    return f"length at {offset} ({old}) set to {value}"


MUTATORS: tuple[tuple[str, Mutator], ...] = (
    ("flip", flip_bytes),
    ("flip-header", flip_header),
    ("truncate", truncate),
    ("duplicate", duplicate_chunk),
    ("zero-header", zero_header),
    ("length-lie", lie_about_a_length),
)


@dataclass(frozen=True)
class Case:
    index: int
    path: Path
    source: str
    mutator: str
    detail: str


def make_case(files: list[Path], i: int, seed: int, out: Path) -> Case:
    """Case ``i`` of a run: always the same bytes for the same files, index and seed."""
    src = files[i % len(files)]
    name, mutate = MUTATORS[(i // len(files)) % len(MUTATORS)]
    rng = np.random.default_rng([seed, i])
    data = bytearray(src.read_bytes())
    detail = mutate(data, rng)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"case-{i:04d}-{name}-{src.stem[:30]}{src.suffix}"
    path.write_bytes(bytes(data))
    return Case(i, path, src.name, name, detail)


def make_cases(files: list[Path], n: int, seed: int, out: Path) -> list[Case]:
    return [make_case(files, i, seed, out) for i in range(n)]


# -- running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    command: str
    code: int
    seconds: float
    peak_mb: float
    hung: bool
    traceback: bool
    first_error: str


def run_child(command: str, args: list[str], timeout: float) -> Run:
    """``python -m verify ARGS`` as a child; its own peak RSS (``tests.runner.run_measured``)."""
    sys.path.insert(0, str(ROOT))
    from tests.runner import run_measured

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = run_measured([sys.executable, "-m", "verify", *args], timeout=timeout, env=env)
    text = run.stderr.decode("utf-8", "replace")
    first = next((line for line in text.splitlines() if line.startswith("error:")), text.strip()[:200])
    tb = "Traceback (most recent call last)" in text or "unexpected failure" in text
    return Run(command, run.code, run.seconds, run.peak_mb, run.hung, tb, first[:300])


@dataclass
class Outcome:
    case: Case
    probe: Run
    hash: Run
    integrity: str


def run_case(case: Case, library: Path, timeout: float) -> Outcome:
    from verify.library import Library

    probe = run_child("probe", ["probe", str(case.path)], timeout)
    hashed = run_child("hash", ["hash", str(case.path), "--library", str(library)], timeout)
    try:
        with Library(library, create=False) as lib:
            integrity = lib.integrity_check()
    except Exception as exc:  # the harness reports, never stops
        integrity = f"{type(exc).__name__}: {exc}"
    return Outcome(case, probe, hashed, integrity)


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def runs(self, command: str) -> list[Run]:
        return [getattr(o, command) for o in self.outcomes]

    def problems(self) -> list[str]:
        out = []
        for o in self.outcomes:
            for r in (o.probe, o.hash):
                if r.traceback or r.hung or r.code not in (0, 2, 3):
                    out.append(f"{o.case.path.name} ({o.case.detail}): {r.command} exit {r.code}"
                               f"{' HUNG' if r.hung else ''}: {r.first_error}")  # fmt: skip
            if o.integrity != "ok":
                out.append(f"{o.case.path.name}: library integrity after hash: {o.integrity}")
        return out


def run_all(cases: list[Case], library: Path, *, jobs: int = 2, timeout: float = 60.0,
            progress: Callable[[int, int], None] | None = None) -> Summary:  # fmt: skip
    summary = Summary()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for i, outcome in enumerate(pool.map(lambda c: run_case(c, library, timeout), cases), start=1):
            summary.outcomes.append(outcome)
            if progress is not None:
                progress(i, len(cases))
    summary.seconds = time.monotonic() - started
    return summary


def markdown(summary: Summary, *, seed: int, sources_used: list[Path], command: str) -> str:
    oc = summary.outcomes
    lines = [
        "# Fuzzed media through `verify probe` and `verify hash`",
        "",
        f"Command: `{command}` (seed {seed}; {len(oc)} cases from {len(sources_used)} real files; "
        f"{summary.seconds / 60:.1f} min wall on {platform.machine()}, 2 shared cores, loaded machine).",
        "",
        "| | probe | hash |",
        "|---|---:|---:|",
    ]
    codes = sorted({r.code for o in oc for r in (o.probe, o.hash)})
    for code in codes:
        label = {0: "exit 0 (read / added)", 2: "exit 2 (refused, one line)", 3: "exit 3 (batch: file failed)",
                 1: "exit 1 (unexpected)"}.get(code, f"exit {code}")  # fmt: skip
        lines.append(f"| {label} | {sum(r.code == code for r in summary.runs('probe'))} | "
                     f"{sum(r.code == code for r in summary.runs('hash'))} |")  # fmt: skip
    for label, attr in (("tracebacks", "traceback"), ("hangs (killed at the timeout)", "hung")):
        lines.append(f"| {label} | {sum(getattr(r, attr) for r in summary.runs('probe'))} | "
                     f"{sum(getattr(r, attr) for r in summary.runs('hash'))} |")  # fmt: skip
    for command in ("probe", "hash"):
        worst = max(summary.runs(command), key=lambda r: r.peak_mb)
        slow = max(summary.runs(command), key=lambda r: r.seconds)
        lines.append(f"| max peak RSS, {command} | {worst.peak_mb:.0f} MB |  |" if command == "probe" else
                     f"| max peak RSS, {command} |  | {worst.peak_mb:.0f} MB |")  # fmt: skip
        lines.append(f"| slowest {command} | {slow.seconds:.1f} s |  |" if command == "probe" else
                     f"| slowest {command} |  | {slow.seconds:.1f} s |")  # fmt: skip
    ok = sum(o.integrity == "ok" for o in oc)
    lines += [f"| library `integrity_check()` after each hash | | {ok} of {len(oc)} ok |", ""]
    added = sum(o.hash.code == 0 for o in oc)
    lines += [f"{added} mutated files were still readable footage and were added to the library; the others were "
              "refused with one `error:` line naming the file.", ""]  # fmt: skip
    lines += [
        "## By mutator",
        "",
        "| mutator | cases | probe exit 0/2 | hash exit 0/2/3 |",
        "|---|---:|---:|---:|",
    ]
    for name, _ in MUTATORS:
        sub = [o for o in oc if o.case.mutator == name]
        if sub:
            p = collections.Counter(o.probe.code for o in sub)
            h = collections.Counter(o.hash.code for o in sub)
            lines.append(f"| {name} | {len(sub)} | {p[0]}/{p[2]} | {h[0]}/{h[2]}/{h[3]} |")
    lines += ["", "## Sources", ""]
    lines += [f"- `{p.name}`" + ("" if "corpus" in str(p) else f" (from the installed package: `{p}`)")
              for p in sources_used]  # fmt: skip
    problems = summary.problems()
    lines += ["", "## Problems", ""]
    lines += [f"- {p}" for p in problems] if problems else ["None: every case exited 0, 2 or 3 with no traceback, "
                                                            "no hang, and the library stayed intact."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("VERIFY_CORPUS", ROOT.parent / "shared" / "corpus")),
    )
    ap.add_argument("--keep", type=Path, default=None, help="Leave the cases and the library in this folder.")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    files = sources(args.corpus)
    if len(files) < 15:
        print(f"need >= 15 source files, found {len(files)} (set VERIFY_CORPUS)", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="verify-fuzz-"))
    try:
        cases = make_cases(files, args.cases, args.seed, work / "cases")
        library = work / "fuzz.db"

        def progress(done: int, total: int) -> None:
            if done % 20 == 0 or done == total:
                print(f"  {done}/{total}", file=sys.stderr, flush=True)

        summary = run_all(cases, library, jobs=args.jobs, timeout=args.timeout, progress=progress)
        command = "python benchmarks/fuzz_media.py " + " ".join(sys.argv[1:])
        text = markdown(summary, seed=args.seed, sources_used=files, command=command.strip())
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(text)
        return 0 if not summary.problems() else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
