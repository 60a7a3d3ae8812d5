"""Loading the file to examine: upload, a path on this machine (no copy), or a bundled sample.

Owns ``st.session_state["<key>.*"]``. Uploads arrive on disk in the data folder (``ui.uploads``;
the server streams them there) and are named by sha256; a path is hashed where it lies and never
copied, and only when ``ui.access`` allows it (any path on loopback, the allow-list otherwise).
Each load is recorded in the case's custody log. Names and paths are shown as text (``ui.safe``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from verify.errors import MediaNotFoundError, NotMediaError
from verify.frames import check_file

from .. import access, cases, recent, safe, uploads
from ..config import APP_ROOT, FIRST_CLIP, paths
from ..errors import MESSAGE_LIMIT, message
from ..files import Loaded, file_digests
from ..fmt import size as fmt_size
from ..samples import sample_clips
from . import link

ORIGIN_TEXT = {
    "upload": "uploaded",
    "path": "opened from this machine (not copied)",
    "sample": "bundled sample",
    "link": "downloaded from a link",
}


def current(key: str = "loader") -> Loaded | None:
    """The file under examination, or None."""
    return st.session_state.get(f"{key}.current")


def _set(key: str, loaded: Loaded, *, automatic: bool = False) -> None:
    st.session_state[f"{key}.current"] = loaded
    st.session_state[f"{key}.error"] = None
    st.query_params["file"] = loaded.sha256  # a reload or a bookmark returns to this file
    p = paths()
    recent.remember(p, loaded)
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
    """Open a file where it lies (hashing it with a progress bar); errors are kept for display.

    A path the analyst typed (``origin="path"``) must pass :func:`ui.access.resolve`; the bundled
    samples are the workbench's own files.
    """
    raw = str(path).strip().strip('"').strip("'")
    try:
        if not raw:
            raise MediaNotFoundError("no path given", hint="Paste the full path of a file on this machine.")
        p = access.resolve(raw, access.current()) if origin == "path" else Path(raw)
        check_file(p)
        name = safe.md(p.name, 120)
        bar = st.progress(0.0, text=f"Hashing {name} (sha256)…") if p.stat().st_size > (64 << 20) else None

        def tick(done: float, total: float) -> None:
            if bar is not None:
                bar.progress(min(1.0, done / max(total, 1)), text=f"Hashing {name} (sha256)…")

        d = file_digests(p, tick)
        if bar is not None:
            bar.empty()
        loaded = Loaded(p.resolve(), d.sha256, p.name, origin, d.size, d.md5)
    except (MediaNotFoundError, NotMediaError, access.PathNotAllowedError, ValueError, OSError) as exc:
        st.session_state[f"{key}.error"] = message(exc, "Opening the file")
        return None
    _set(key, loaded, automatic=automatic)
    return loaded


def _take_upload(key: str, uploaded: object) -> None:
    name = str(getattr(uploaded, "name", "") or "upload")
    try:
        with st.spinner(f"Saving {safe.md(name, 120)} and computing its sha256…"):
            path, d = uploads.receive(uploaded, paths())
    except OSError as exc:
        st.session_state[f"{key}.error"] = (
            f"{name}: the upload could not be saved ({exc}). Check the free disk space."
        )
        return
    loaded = Loaded(path, d.sha256, name, "upload", d.size, d.md5)
    _set(key, loaded)
    removed = uploads.enforce_cap(paths(), keep={d.sha256})
    if removed:
        st.session_state[f"{key}.removed"] = removed


def _sample_label(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"


def ensure_first_clip(key: str = "loader") -> None:
    """On a new session, open the file the address names (``?file=<sha256>``: a reload, a bookmark)
    or else the bundled sample clip, so a newcomer sees a match straight away."""
    if st.session_state.get(f"{key}.started"):
        return
    st.session_state[f"{key}.started"] = True
    if current(key) is not None:
        return
    wanted = st.query_params.get("file")
    if wanted:
        found = recent.find(paths(), str(wanted).strip().lower(), access.current())
        if found is not None:
            _set(key, found, automatic=True)
            return
        del st.query_params["file"]
        st.session_state[f"{key}.error"] = (
            "The file named in the page address is not one this workbench stored or opened (or it "
            "is no longer there). Open it again in the sidebar."
        )
        return
    if FIRST_CLIP.is_file():
        open_path(key, FIRST_CLIP, origin="sample", automatic=True)


def show(key: str = "loader") -> Loaded | None:
    gen = st.session_state.setdefault(f"{key}.gen", 0)
    upload_tab, link_tab, path_tab, sample_tab = st.tabs(["Upload", "Link", "Path", "Samples"])
    with link_tab:  # ui.components.link: fetched in the background, then opened like an upload
        link.show(f"{key}.link", lambda p: open_path(key, p, origin="link"))
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
    with path_tab:
        rules = access.current()
        if not rules.paths_enabled:
            st.warning(safe.md(rules.describe(), 600), icon=":material/lock:")
        with st.form(f"{key}.pathform", border=False):
            typed = st.text_input(
                "A file on this machine",
                key=f"{key}.path",
                placeholder="/path/to/clip.mp4",
                help="The file is read where it is; it is not copied or changed.",
                disabled=not rules.paths_enabled,
            )
            opened = st.form_submit_button(
                "Open file", icon=":material/folder_open:", disabled=not rules.paths_enabled
            )
            if opened and open_path(key, typed) is not None:
                st.rerun()  # the page is drawn again for the new file (``ui.shell`` hides the old one)
        if rules.allowed:
            st.caption(safe.md(rules.describe(), 600))
    with sample_tab:
        clips = sample_clips()
        choice = st.selectbox(
            "A bundled sample (demo data)",
            options=clips,
            index=None,
            format_func=lambda p: safe.text(_sample_label(p), 200),
            key=f"{key}.sample",
            placeholder="Choose a demo clip",
        )
        if choice is not None and st.session_state.get(f"{key}.sample_done") != str(choice):
            st.session_state[f"{key}.sample_done"] = str(choice)
            if open_path(key, choice, origin="sample") is not None:
                st.rerun()

    error = st.session_state.get(f"{key}.error")
    if error:
        st.error(safe.md(error, MESSAGE_LIMIT), icon=":material/error:")
    removed = st.session_state.pop(f"{key}.removed", None)
    if removed:
        st.caption(
            f"Upload storage is capped at {fmt_size(uploads.cap())}: removed {len(removed)} older upload"
            f"{'s' if len(removed) != 1 else ''} not attached to a case."
        )
    loaded = current(key)
    if loaded is not None:
        where = loaded.path
        try:
            where = loaded.path.relative_to(APP_ROOT)
        except ValueError:
            pass
        st.caption(
            f"**Examining** {safe.md(loaded.name, 80)}  \n{fmt_size(loaded.size)} · "
            f"{ORIGIN_TEXT[loaded.origin]}  \nsha256 {safe.code(loaded.sha256[:16] + '…')}",
            help=safe.fmt("{}\n\nsha256 {}", str(where), loaded.sha256),
        )
    return loaded
