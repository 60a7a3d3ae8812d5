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


#: Set while the Notes page has unsaved edits: the browser asks before the tab is closed or reloaded.
GUARD_ON = (
    "<script>window.onbeforeunload = function (e) { e.preventDefault(); e.returnValue = ''; return ''; };"
    "</script>"
)
GUARD_OFF = "<script>window.onbeforeunload = null;</script>"


def _draft_key(loaded: Loaded) -> str:
    return f"notes.draft.{loaded.sha256}"


def _saved_values(notes: Notes) -> dict[str, object]:
    out: dict[str, object] = {"verdict": notes.verdict, "analyst": notes.analyst, "summary": notes.summary}
    for check in CHECKS:
        n = notes.check(check)
        out.update(
            {f"{check}.status": n.status, f"{check}.confidence": n.confidence, f"{check}.text": n.text}
        )
    return out


def unsaved(loaded: Loaded | None) -> bool:
    """Whether the notes on ``loaded`` were edited on the Notes page and not saved yet."""
    if loaded is None:
        return False
    draft = st.session_state.get(_draft_key(loaded))
    if not draft:
        return False
    saved = _saved_values(cases.load(paths().cases, loaded.sha256, loaded.name).notes)
    return any(str(draft.get(k, "")).strip() != str(v).strip() for k, v in saved.items() if k in draft)


def guard_unload(loaded: Loaded | None) -> None:
    """The browser's "leave the page?" question while notes are unsaved (every page, the sidebar)."""
    st.html(GUARD_ON if unsaved(loaded) else GUARD_OFF, unsafe_allow_javascript=True)


def show(key: str, loaded: Loaded) -> Notes:
    """The form. Edits are kept (``notes.draft.<sha256>``) when the analyst goes to another page
    before saving, and the page says they are unsaved until they are."""
    case = cases.load(paths().cases, loaded.sha256, loaded.name)
    notes = case.notes
    k = f"{key}.{loaded.sha256[:16]}"
    draft: dict[str, object] = st.session_state.setdefault(_draft_key(loaded), {})
    saved_values = _saved_values(notes)

    def value(name: str) -> object:
        return draft.get(name, saved_values[name])

    def keep(name: str) -> None:
        draft[name] = st.session_state[f"{k}.{name}"]

    def kw(name: str) -> dict[str, object]:
        return {"key": f"{k}.{name}", "on_change": keep, "args": (name,)}

    notice = st.empty()
    top = st.columns([1, 2])
    top[0].selectbox(
        "Overall verdict",
        STATUSES,
        index=STATUSES.index(str(value("verdict"))),
        format_func=lambda s: safe.text(_fmt_status(s), 40),
        **kw("verdict"),  # type: ignore[arg-type]
    )
    top[1].text_input("Analyst", value=str(value("analyst")), **kw("analyst"))  # type: ignore[arg-type]
    st.text_area(
        "Summary", value=str(value("summary")), height=90,
        placeholder="One or two sentences a reader can rely on, e.g. “Recycled footage from 2019…”",
        **kw("summary"),  # type: ignore[arg-type]
    )  # fmt: skip
    for check in CHECKS:
        with st.container(border=True):
            st.markdown(safe.fmt("**{}** · {}", check.title(), QUESTIONS[check]))
            c = st.columns([1, 1, 3])
            c[0].selectbox(
                "Status", STATUSES, index=STATUSES.index(str(value(f"{check}.status"))),
                format_func=lambda s: safe.text(_fmt_status(s), 40), **kw(f"{check}.status"),  # type: ignore[arg-type]
            )  # fmt: skip
            c[1].select_slider(
                "Confidence", CONFIDENCES, value=value(f"{check}.confidence"), **kw(f"{check}.confidence")  # type: ignore[arg-type]
            )  # fmt: skip
            c[2].text_area("Notes", value=str(value(f"{check}.text")), height=80, **kw(f"{check}.text"))  # type: ignore[arg-type]
    st.button(
        "Save notes",
        icon=":material/save:",
        type="primary",
        key=f"{k}.save",
        on_click=_save,
        args=(k, loaded),
    )
    saved_at = st.session_state.pop(f"{k}.saved", None)
    if saved_at:
        st.success(safe.fmt("Notes saved at {} (UTC).", saved_at), icon=":material/check:")
        return cases.load(paths().cases, loaded.sha256, loaded.name).notes
    if unsaved(loaded):
        notice.warning(
            "**Unsaved changes.** Your edits are kept while you look at other pages, but they are not "
            "saved with the case (or in the export) until you press *Save notes*.",
            icon=":material/edit_off:",
        )
    elif notes.updated_at:
        st.caption(safe.fmt("Last saved {} (UTC).", notes.updated_at))
    return notes


def _save(k: str, loaded: Loaded) -> None:
    """Save the form's values (a button callback: it runs before the page is drawn again, so the
    sidebar and the browser's leave-page question already know the notes are saved)."""
    from dataclasses import replace

    state = st.session_state
    new = cases.load(paths().cases, loaded.sha256, loaded.name).notes
    for check in CHECKS:
        new = new.with_check(
            check,
            status=state[f"{k}.{check}.status"],
            confidence=state[f"{k}.{check}.confidence"],
            text=state[f"{k}.{check}.text"],
        )
    new = new.with_verdict(state[f"{k}.verdict"], state[f"{k}.summary"])
    new = replace(new, analyst=str(state[f"{k}.analyst"]).strip())
    cases.save_notes(paths().cases, loaded.sha256, new, name=loaded.name)
    state.pop(_draft_key(loaded), None)
    state[f"{k}.saved"] = new.updated_at


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
