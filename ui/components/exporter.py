"""Export: the report (Markdown, HTML, JSON, PDF), the case file, and an evidence video per match.

Everything is made by ``verify`` (``build_report``, ``export``, ``save_case``, ``render_evidence``)
into the data folder's ``exports/`` and offered for download. The report is made from the same
``Analysis`` the other pages show (nothing is decoded or matched again), with the text on screen
when the background OCR has read it; the case's custody log
(uploads, notes, reverse-search hand-offs made here) comes first in it. Owns
``st.session_state["<key>.*"]``.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import streamlit as st

from verify.errors import VerifyError

from .. import analysis, cases, safe, uploads
from ..config import paths
from ..errors import readable
from ..files import Loaded, safe_name
from ..fmt import timecode
from .library_picker import ActiveLibrary

FORMATS = {"PDF": "pdf", "HTML (self-contained)": "html", "Markdown (+ images, zipped)": "md", "JSON": "json"}
MIME = {"pdf": "application/pdf", "html": "text/html", "md": "application/zip", "json": "application/json"}


def _case_dir(loaded: Loaded) -> Path:
    d = paths().exports / loaded.sha256[:16]
    d.mkdir(parents=True, exist_ok=True)
    return d


def _analysis(loaded: Loaded, library: ActiveLibrary) -> Any:
    """The analysis the pages show: matched against the active library when there is one."""
    if library.path.exists():
        task = analysis.start_match(loaded, library.path)
        pairs = analysis.start_pairs(loaded, library.path)
        waiting = task.active or pairs.active
        with st.spinner("Waiting for matching and the evidence frame pairs…") if waiting else nullcontext():
            view = analysis.with_pairs(loaded, library.path)
        if task.status == "failed":
            from verify.errors import DecodeError

            raise DecodeError(readable(task.error or "matching failed", loaded), hint="")
        if view is not None:
            return view.analysis
    with st.spinner("Waiting for the keyframes…"):
        try:
            return analysis.decoded(loaded)
        except VerifyError as exc:
            from verify.errors import DecodeError

            raise DecodeError(readable(str(exc), loaded), hint="") from exc


def build(loaded: Loaded, library: ActiveLibrary) -> Any:
    """The ``Report`` of the file's analysis, with the saved notes and the case's custody log first."""
    from verify.report import build_report

    case = cases.load(paths().cases, loaded.sha256, loaded.name)
    return build_report(
        analysis.with_text(_analysis(loaded, library)),  # the Text panel's reading, when OCR has run
        notes=case.notes if not case.notes.is_empty else None,
        custody=list(case.custody),
    )


def _zip_folder(main: Path, folder: Path | None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(main, main.name)
        if folder is not None and folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    zf.write(p, str(p.relative_to(main.parent)))
    return buf.getvalue()


def show_report(key: str, loaded: Loaded, library: ActiveLibrary) -> None:
    from verify.export import export

    label = st.radio("Format", list(FORMATS), horizontal=True, key=f"{key}.format")
    fmt = FORMATS[label]
    if st.button("Build the report", key=f"{key}.build", icon=":material/description:", type="primary"):
        report = build(loaded, library)
        out_dir = _case_dir(loaded)
        path = export(report, fmt, out_dir)
        data = _zip_folder(path, out_dir / f"{path.stem}-images") if fmt == "md" else path.read_bytes()
        name = f"{path.stem}.md.zip" if fmt == "md" else path.name
        cases.log(
            paths().cases, loaded.sha256, "exported", f"report as {fmt.upper()}: {path}", name=loaded.name
        )
        st.session_state[f"{key}.ready"] = (loaded.sha256, name, data, fmt, report.case_id)
    ready = st.session_state.get(f"{key}.ready")
    if ready and ready[0] == loaded.sha256:
        _, name, data, fmt, case_id = ready
        st.success(
            safe.fmt("Report {} is ready ({} bytes).", case_id, f"{len(data):,}"), icon=":material/check:"
        )
        st.download_button(
            f"Download {safe.md(name, 200)}", data=data, file_name=name, mime=MIME[fmt], icon=":material/download:",
            key=f"{key}.download", on_click="ignore",
        )  # fmt: skip


def show_case(key: str, loaded: Loaded, library: ActiveLibrary) -> None:
    from verify.case import save_case

    include = st.checkbox("Include the original file in the case", key=f"{key}.include")
    if st.button("Save the case file", key=f"{key}.save", icon=":material/inventory_2:"):
        report = build(loaded, library)
        out = save_case(report, _case_dir(loaded) / f"{report.case_id}.verify.zip", include_original=include)
        cases.log(paths().cases, loaded.sha256, "case saved", str(out), name=loaded.name)
        st.session_state[f"{key}.ready"] = (loaded.sha256, out.name, out.read_bytes())
    ready = st.session_state.get(f"{key}.ready")
    if ready and ready[0] == loaded.sha256:
        st.download_button(
            f"Download {safe.md(ready[1], 200)}", data=ready[2], file_name=ready[1], mime="application/zip",
            icon=":material/download:", key=f"{key}.download", on_click="ignore",
        )  # fmt: skip


def show_open_case(key: str) -> None:
    from verify.case import open_case

    up = st.file_uploader("Open a case file (.verify.zip)", type=["zip"], key=f"{key}.upload")
    if up is None:
        return
    spooled = uploads.spooled_path(up)  # the server streamed it to disk: open it there
    if spooled is not None:
        case = open_case(spooled, strict=False)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / safe_name(up.name)
            p.write_bytes(up.getvalue())
            case = open_case(p, strict=False)
    (st.success if case.check.ok else st.error)(
        safe.fmt("Integrity: {}", safe.md(case.check.describe(), 2000))
    )
    st.text(safe.lines(case.summary(), 3000))


def show_evidence(key: str, loaded: Loaded, view: Any) -> None:
    from verify.evidence import render_evidence

    matches = view.result.matches if view is not None else ()
    if not matches:
        st.caption("No match to render: evidence videos are made for matches found on the Matches page.")
        return
    idx = st.selectbox(
        "Match",
        list(range(len(matches))),
        format_func=lambda i: safe.text(
            f"{i + 1}. {matches[i].reference.display_title} "
            f"(clip {timecode(matches[i].query_start)}–{timecode(matches[i].query_end)})",
            160,
        ),
        key=f"{key}.match",
    )
    if st.button("Render the side-by-side video", key=f"{key}.render", icon=":material/movie:"):
        m = matches[idx]
        out = _case_dir(loaded) / f"evidence-{idx + 1:02d}-{safe_name(Path(m.reference.path).stem)}.mp4"
        bar = st.progress(0.0, text="Rendering with ffmpeg…")
        render_evidence(
            loaded.path, m.reference.path, m, out,
            progress=lambda d, t: bar.progress(min(1.0, d / t) if t else 0.0, text="Rendering with ffmpeg…"),
        )  # fmt: skip
        bar.empty()
        cases.log(
            paths().cases, loaded.sha256, "evidence rendered", f"match {idx + 1}: {out}", name=loaded.name
        )
        st.session_state[f"{key}.ready"] = (loaded.sha256, str(out))
    ready = st.session_state.get(f"{key}.ready")
    if ready and ready[0] == loaded.sha256 and Path(ready[1]).is_file():
        out = Path(ready[1])
        st.video(str(out))
        st.download_button(
            f"Download {safe.md(out.name, 200)}", data=out.read_bytes(), file_name=out.name, mime="video/mp4",
            icon=":material/download:", key=f"{key}.download", on_click="ignore",
        )  # fmt: skip
