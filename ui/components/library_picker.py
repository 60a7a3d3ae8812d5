"""Which known-footage library the clip is matched against: the bundled sample or the analyst's own.

Owns ``st.session_state["<key>.choice"]``. The sample library is built on first use (a progress
bar while it is fingerprinted); the analyst's own library (``library.db``) is only ever created by
adding to it, and is never replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from .. import samples
from ..config import paths

SAMPLE = "Sample library (demo data)"
MINE = "My library"


@dataclass(frozen=True)
class ActiveLibrary:
    path: Path
    label: str
    is_sample: bool


def _resolve(choice: str) -> ActiveLibrary:
    p = paths()
    if choice == MINE:
        return ActiveLibrary(p.user_library, MINE, False)
    return ActiveLibrary(p.sample_library, SAMPLE, True)


def current(key: str = "library") -> ActiveLibrary:
    return _resolve(st.session_state.get(f"{key}.choice") or _default())


def _default() -> str:
    return MINE if paths().user_library.exists() else SAMPLE


def ensure_sample(force: bool = False) -> Path:
    """Build the sample library if it is missing or out of date, showing progress."""
    p = paths()
    if not force and samples.is_current(p):
        return p.sample_library
    bar = st.progress(0.0, text="First run: building the sample library from samples/…")

    def tick(done: float, total: float) -> None:
        bar.progress(
            min(1.0, done / max(total, 1)), text=f"Fingerprinting sample footage ({done:.0f}/{total:.0f})…"
        )

    try:
        return samples.build(p, force=force, progress=tick)
    finally:
        bar.empty()


def show(key: str = "library") -> ActiveLibrary:
    choice = st.radio(
        "Match against",
        options=(SAMPLE, MINE),
        index=(SAMPLE, MINE).index(st.session_state.get(f"{key}.choice") or _default()),
        key=f"{key}.radio",
        help="The sample library holds the bundled demo footage with illustrative provenance. "
        "My library is yours: add known footage on the Library page.",
    )
    st.session_state[f"{key}.choice"] = choice
    active = _resolve(choice)
    if active.is_sample:
        ensure_sample()
    elif not active.path.exists():
        st.caption("Your library is empty: add known footage on the Library page.")
    return active
