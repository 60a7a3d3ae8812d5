"""Running the analysis of the current file, and showing what is running.

``prepare`` does stage 1 (metadata) while the page waits, inside a status box with stage names,
then queues keyframes and matching in the background. ``show`` (sidebar) shows their progress
while they run and re-renders the page the moment one of them finishes (the matches appear when
matching ends, not after the frame pairs, the keyframes and the text on screen): a small watcher
in the page holds a request to the server's ``/_verify/activity`` open until a task ends
(``ui/server.py``), and the progress fragment itself reruns only every
:data:`PROGRESS_EVERY` seconds (each rerun costs the decode CPU on a small machine; it also
re-renders the page when a task has ended, should the watcher not be running).
Owns ``st.session_state["<key>.*"]``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from verify.text import plural

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


def _render(active: list[jobs.Task], current: str) -> None:
    """Progress of the current file's tasks; work still running for other files is only counted
    (a page never names another file than the one under examination)."""
    for t in active:
        if t.group == current:
            stage = safe.md(t.stage) if t.status == "running" else "waiting"
            st.progress(t.fraction, text=f"{safe.md(t.label)}: {stage}")
    others = {t.group for t in active if t.group != current}
    if others:
        st.caption(safe.fmt("Finishing background work on {}…", plural(len(others), "other file")))


#: Seconds between progress updates in the sidebar while background work runs.
PROGRESS_EVERY = 1.5

#: The watcher: asks ``/_verify/activity`` whether a task ended since the page was drawn, and
#: triggers a rerun when one has. Fixed code; its only data is the count it was drawn with.
_WATCH_JS = """
export default function (component) {
  const { data, setTriggerValue } = component;
  const since = Number(data && data.finished);
  let stopped = false;
  const ctrl = new AbortController();
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  (async () => {
    while (!stopped) {
      try {
        const r = await fetch("/_verify/activity?since=" + since,
                              { signal: ctrl.signal, cache: "no-store", credentials: "same-origin" });
        if (!r.ok) { await pause(2000); continue; }
        const answer = await r.json();
        if (!stopped && answer.finished !== since) { setTriggerValue("ended", answer.finished); return; }
      } catch (e) {
        if (stopped) return;
        await pause(1000);
      }
    }
  })();
  return () => { stopped = true; ctrl.abort(); };
}
"""

_watch = st.components.v2.component("verify_activity_watch", js=_WATCH_JS)


@st.fragment(run_every=PROGRESS_EVERY)
def _poll(key: str, current: str) -> None:
    active = jobs.runner().active()
    keys = {t.key for t in active}
    was: set[str] = st.session_state.get(f"{key}.active", set())
    st.session_state[f"{key}.active"] = keys
    if was - keys:  # a task finished (the matches, say): the page shows it now, not when all are done
        st.rerun(scope="app")
    if active:
        _render(active, current)


def show(loaded: Loaded | None, key: str = "activity") -> None:
    """Progress of background work (sidebar); the page re-renders as each task finishes."""
    runner = jobs.runner()
    finished = runner.finished  # read before the tasks: one that ends in between is not missed
    active = runner.active()
    if active:
        st.session_state[f"{key}.active"] = {t.key for t in active}
        _watch(key=f"{key}.watch", data={"finished": finished}, on_ended_change=lambda: None)
        _poll(key, loaded.sha256 if loaded is not None else "")
