"""Running the analysis of the current file, and showing what is running.

``prepare`` does stage 1 (metadata) while the page waits, inside a status box with stage names,
then queues keyframes and matching in the background. ``show`` (sidebar) polls the background
tasks every half second while they run and re-renders the page each time one of them finishes (the
matches appear when matching ends, not after the keyframes and the text on screen).
Owns ``st.session_state["<key>.*"]``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from .. import analysis, jobs, safe
from ..config import ocr_enabled
from ..errors import message, readable
from ..files import Loaded
from .library_picker import ActiveLibrary


def probe_error(sha256: str, key: str = "activity") -> str | None:
    return st.session_state.get(f"{key}.probe_errors", {}).get(sha256)


def prepare(loaded: Loaded | None, library: ActiveLibrary, slot: Any = None, key: str = "activity") -> Any:
    """MediaInfo of the current file (None when it could not be read); background stages queued."""
    if loaded is None:
        return None
    errors: dict[str, str] = st.session_state.setdefault(f"{key}.probe_errors", {})
    if loaded.sha256 in errors:
        return None
    info = analysis.cached_probe(loaded.sha256)
    if info is None:
        box = slot if slot is not None else st
        with box.status(f"Analysing {safe.md(loaded.name, 120)}…", expanded=True) as status:
            st.write("✓ Hashing (sha256)")
            st.write("Reading metadata (container, streams, EXIF, C2PA)…")
            try:
                info = analysis.probe_file(loaded)
            except Exception as exc:  # noqa: BLE001 - any failure becomes a message; the session stays usable
                errors[loaded.sha256] = readable(message(exc, "Reading the file"), loaded)
                status.update(
                    label=f"{safe.md(loaded.name, 120)} could not be read", state="error", expanded=False
                )
                return None
            st.write("Queued: shots and keyframes, then matching against the library")
            status.update(
                label=f"Metadata of {safe.md(loaded.name, 120)} read", state="complete", expanded=False
            )
    # matching first: "has this been seen before?" is the question the analyst came with (it
    # makes the one decode, which the keyframes then reuse)
    if library.path.exists():
        analysis.start_match(loaded, library.path)
    analysis.start_keyframes(loaded, analysis.is_still(info))
    if ocr_enabled() and info.file.kind != "audio":  # after the decode, in the background
        analysis.start_text(loaded)
    return info


def keyframes_task(loaded: Loaded) -> jobs.Task | None:
    return jobs.runner().get(analysis.keyframes_key(loaded.sha256))


def text_task(loaded: Loaded) -> jobs.Task | None:
    return jobs.runner().get(analysis.text_key(loaded.sha256))


def match_task(loaded: Loaded, library: ActiveLibrary) -> jobs.Task | None:
    if not library.path.exists():
        return None
    return jobs.runner().get(analysis.match_key(loaded.sha256, library.path))


def _render(active: list[jobs.Task]) -> None:
    for t in active:
        st.progress(
            t.fraction, text=f"{safe.md(t.label)}: {safe.md(t.stage) if t.status == 'running' else 'waiting'}"
        )


@st.fragment(run_every=0.5)  # half a second: the matches show at most that long after they exist
def _poll(key: str) -> None:
    active = jobs.runner().active()
    keys = {t.key for t in active}
    was: set[str] = st.session_state.get(f"{key}.active", set())
    st.session_state[f"{key}.active"] = keys
    if was - keys:  # a task finished (the matches, say): the page shows it now, not when all are done
        st.rerun(scope="app")
    if active:
        _render(active)


def show(key: str = "activity") -> None:
    """Progress of background work (sidebar); the page re-renders as each task finishes."""
    active = jobs.runner().active()
    if active:
        st.session_state[f"{key}.active"] = {t.key for t in active}
        _poll(key)
