"""Loading the file to examine: upload, a path on this machine (no copy), or a bundled sample.

Owns ``st.session_state["<key>.*"]``. Uploads are streamed to the data folder under their sha256
and then dropped from Streamlit's memory; a path is hashed where it lies and never copied. Each
load is recorded in the case's custody log.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from verify.errors import MediaNotFoundError, NotMediaError
from verify.frames import check_file

from .. import cases
from ..config import APP_ROOT, FIRST_CLIP, paths
from ..errors import message
from ..files import Loaded, file_digests, save_stream
from ..fmt import md_escape, shown
from ..fmt import size as fmt_size
from ..samples import sample_clips

ORIGIN_TEXT = {
    "upload": "uploaded",
    "path": "opened from this machine (not copied)",
    "sample": "bundled sample",
}


def current(key: str = "loader") -> Loaded | None:
    """The file under examination, or None."""
    return st.session_state.get(f"{key}.current")


def _set(key: str, loaded: Loaded, *, automatic: bool = False) -> None:
    st.session_state[f"{key}.current"] = loaded
    st.session_state[f"{key}.error"] = None
    p = paths()
    first = not (p.cases / f"{loaded.sha256}.json").exists()
    if automatic and not first:
        return  # the first-run sample reopened by a new session is not an analyst's action
    detail = f"{loaded.name} ({loaded.size:,} bytes), {ORIGIN_TEXT[loaded.origin]}; at {loaded.path}"
    cases.log(
        p.cases,
        loaded.sha256,
        "received" if first else "opened",
        detail,
        name=loaded.name,
        digest=loaded.sha256,
    )


def open_path(key: str, path: str | Path, origin: str = "path", *, automatic: bool = False) -> Loaded | None:
    """Open a file where it lies (hashing it with a progress bar); errors are kept for display."""
    raw = str(path).strip().strip('"').strip("'")
    try:
        if not raw:
            raise MediaNotFoundError("no path given", hint="Paste the full path of a file on this machine.")
        p = Path(raw).expanduser()
        check_file(p)
        bar = st.progress(0.0, text=f"Hashing {p.name} (sha256)…") if p.stat().st_size > (64 << 20) else None

        def tick(done: float, total: float) -> None:
            if bar is not None:
                bar.progress(min(1.0, done / max(total, 1)), text=f"Hashing {p.name} (sha256)…")

        d = file_digests(p, tick)
        if bar is not None:
            bar.empty()
        loaded = Loaded(p.resolve(), d.sha256, p.name, origin, d.size, d.md5)
    except (MediaNotFoundError, NotMediaError, ValueError, OSError) as exc:
        st.session_state[f"{key}.error"] = message(exc, "Opening the file")
        return None
    _set(key, loaded, automatic=automatic)
    return loaded


def _free_upload(uploaded: object) -> None:
    """Drop the upload's bytes from Streamlit's memory once they are on disk."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is not None:
            ctx.uploaded_file_mgr.remove_file(ctx.session_id, uploaded.file_id)  # type: ignore[attr-defined]
    except (AttributeError, KeyError, RuntimeError):
        pass


def _take_upload(key: str, uploaded: object) -> None:
    name = getattr(uploaded, "name", "upload")
    try:
        uploaded.seek(0)  # type: ignore[attr-defined]
        with st.spinner(f"Saving {name} and computing its sha256…"):
            path, d = save_stream(uploaded, name, paths().uploads)  # type: ignore[arg-type]
    except OSError as exc:
        st.session_state[f"{key}.error"] = (
            f"{name}: the upload could not be saved ({exc}). Check the free disk space."
        )
        return
    finally:
        _free_upload(uploaded)
    _set(key, Loaded(path, d.sha256, name, "upload", d.size, d.md5))


def _sample_label(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"


def ensure_first_clip(key: str = "loader") -> None:
    """On a new session, open the bundled sample clip so a newcomer sees a match straight away."""
    if st.session_state.get(f"{key}.started"):
        return
    st.session_state[f"{key}.started"] = True
    if current(key) is None and FIRST_CLIP.is_file():
        open_path(key, FIRST_CLIP, origin="sample", automatic=True)


def show(key: str = "loader") -> Loaded | None:
    gen = st.session_state.setdefault(f"{key}.gen", 0)
    upload_tab, path_tab, sample_tab = st.tabs(["Upload", "Path", "Samples"])
    with upload_tab:
        uploaded = st.file_uploader(
            "Upload a clip or still",
            key=f"{key}.upload.{gen}",
            help="Up to 2 GB. Larger files: open them by path (nothing is copied).",
            label_visibility="collapsed",
        )
        if uploaded is not None:
            _take_upload(key, uploaded)
            st.session_state[f"{key}.gen"] = gen + 1
            st.rerun()
    with path_tab, st.form(f"{key}.pathform", border=False):
        typed = st.text_input(
            "A file on this machine",
            key=f"{key}.path",
            placeholder="/path/to/clip.mp4",
            help="The file is read where it is; it is not copied or changed.",
        )
        if st.form_submit_button("Open file", icon=":material/folder_open:"):
            open_path(key, typed)
    with sample_tab:
        clips = sample_clips()
        choice = st.selectbox(
            "A bundled sample (demo data)",
            options=clips,
            index=None,
            format_func=_sample_label,
            key=f"{key}.sample",
            placeholder="Choose a demo clip",
        )
        if choice is not None and st.session_state.get(f"{key}.sample_done") != str(choice):
            st.session_state[f"{key}.sample_done"] = str(choice)
            open_path(key, choice, origin="sample")

    error = st.session_state.get(f"{key}.error")
    if error:
        st.error(error, icon=":material/error:")
    loaded = current(key)
    if loaded is not None:
        where = loaded.path
        try:
            where = loaded.path.relative_to(APP_ROOT)
        except ValueError:
            pass
        st.caption(
            f"**Examining** {md_escape(shown(loaded.name, 80))}  \n{fmt_size(loaded.size)} · "
            f"{ORIGIN_TEXT[loaded.origin]}  \nsha256 `{loaded.sha256[:16]}…`",
            help=f"{where}\n\nsha256 {loaded.sha256}",
        )
    return loaded
