"""The analyst's notes on this file: per check a status, confidence and text; an overall verdict.

Notes are ``verify.notes.Notes``, saved with the case (``cases/<sha256>.json`` in the data folder),
so they survive reloads and are what the export writes. Widget keys carry the sha256, so each file
has its own form. Owns ``st.session_state["<key>.*"]``.
"""

from __future__ import annotations

import streamlit as st

from verify.notes import CHECKS, CONFIDENCES, STATUSES, Notes

from .. import cases, safe
from ..config import paths
from ..files import Loaded

QUESTIONS = {
    "provenance": "Is this the original, or a copy of footage that circulated before?",
    "source": "Who filmed or first posted it?",
    "date": "When was it filmed?",
    "location": "Where was it filmed?",
    "motivation": "Why was it posted, and by whom?",
}


def _fmt_status(s: str) -> str:
    return s.capitalize()


def show(key: str, loaded: Loaded) -> Notes:
    case = cases.load(paths().cases, loaded.sha256, loaded.name)
    notes = case.notes
    k = f"{key}.{loaded.sha256[:16]}"
    with st.form(f"{k}.form", border=False):
        top = st.columns([1, 2])
        verdict = top[0].selectbox(
            "Overall verdict",
            STATUSES,
            index=STATUSES.index(notes.verdict),
            key=f"{k}.verdict",
            format_func=lambda s: safe.text(_fmt_status(s), 40),
        )
        analyst = top[1].text_input("Analyst", value=notes.analyst, key=f"{k}.analyst")
        summary = st.text_area(
            "Summary", value=notes.summary, key=f"{k}.summary", height=90,
            placeholder="One or two sentences a reader can rely on, e.g. “Recycled footage from 2019…”",
        )  # fmt: skip
        values = {}
        for check in CHECKS:
            note = notes.check(check)
            with st.container(border=True):
                st.markdown(safe.fmt("**{}** · {}", check.title(), QUESTIONS[check]))
                c = st.columns([1, 1, 3])
                status = c[0].selectbox(
                    "Status", STATUSES, index=STATUSES.index(note.status), key=f"{k}.{check}.status",
                    format_func=lambda s: safe.text(_fmt_status(s), 40),
                )  # fmt: skip
                confidence = c[1].select_slider(
                    "Confidence", CONFIDENCES, value=note.confidence, key=f"{k}.{check}.confidence"
                )
                text = c[2].text_area("Notes", value=note.text, key=f"{k}.{check}.text", height=80)
                values[check] = (status, confidence, text)
        saved = st.form_submit_button("Save notes", icon=":material/save:", type="primary")
    if saved:
        new = notes
        for check, (status, confidence, text) in values.items():
            new = new.with_check(check, status=status, confidence=confidence, text=text)
        new = new.with_verdict(verdict, summary)
        from dataclasses import replace

        new = replace(new, analyst=analyst.strip())
        case = cases.save_notes(paths().cases, loaded.sha256, new, name=loaded.name)
        st.success(safe.fmt("Notes saved at {} (UTC).", new.updated_at), icon=":material/check:")
        notes = new
    elif notes.updated_at:
        st.caption(safe.fmt("Last saved {} (UTC).", notes.updated_at))
    return notes


def show_custody(key: str, loaded: Loaded) -> None:
    case = cases.load(paths().cases, loaded.sha256, loaded.name)
    st.subheader("Chain of custody", anchor=False)
    st.caption("Every step taken with this file on this machine, in UTC. Entries are only ever appended.")
    if not case.custody:
        st.caption("Nothing recorded yet.")
        return
    st.dataframe(
        [
            {
                "when (UTC)": safe.text(e.at, 40),
                "step": safe.text(e.step, 80),
                "detail": safe.text(e.detail, 400),
            }
            for e in case.custody
        ],
        hide_index=True,
        width="stretch",
    )
