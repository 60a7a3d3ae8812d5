"""The Matches page body: the plain-language summary on top, the clip timeline, one card per match."""

from __future__ import annotations

from typing import Any

import streamlit as st

from verify.text import safe_text

from .. import safe
from ..analysis import MatchView
from ..errors import MESSAGE_LIMIT
from ..files import Loaded
from ..safe import Md
from . import match_card, timeline
from .library_picker import ActiveLibrary


def _line(m: Any) -> Md:
    """verify's one-sentence summary of a match, the reference title in italics, all of it as text.

    ``Match.summary()`` wraps the (untrusted) title in ``*…*``; the sentence is escaped as a whole,
    then only that pair of asterisks is put back, around the escaped title.
    """
    line = m.summary()
    ref = m.reference
    title = safe_text(ref.provenance.title or ref.path.rsplit("/", 1)[-1] or f"reference {ref.id}", limit=120)
    marked = f"*{title}*"
    if line.count(marked) == 1:
        before, after = line.split(marked)
        return safe.fmt("{}*{}*{}", before, title, after)
    return safe.md(line, 1000)


def show(key: str, loaded: Loaded, library: ActiveLibrary, view: MatchView, pairs: object = None) -> None:
    """``pairs``: the frame-pairs task (``ui.jobs.Task``) or None while it is not queued yet."""
    result = view.result
    n_refs = view.library_references
    if not result.matches:
        st.success(
            f"**No match in the library** ({n_refs:d} reference{'s' if n_refs != 1 else ''} in "
            f"{safe.md(library.label)}). "
            "This footage is not among the known clips here. That is not proof it is new: search the keyframes "
            "in reverse image search engines and check other archives.",
            icon=":material/search_off:",
        )
        return
    refs = {m.reference.id for m in result.matches}
    with st.container(border=True):
        st.markdown(
            f"#### :material/history: Seen before: {len(result.matches)} segment"
            f"{'s' if len(result.matches) != 1 else ''} from {len(refs)} known clip{'s' if len(refs) != 1 else ''}"
        )
        for m in result.matches:
            st.markdown(f"- {_line(m)}")
        st.caption(
            f"Checked against {n_refs:d} references in {safe.md(library.label)}. "
            "Footage first seen before the event it is said to show is recycled."
        )
    st.altair_chart(
        timeline.clip_overview(float(result.query.duration), result.matches),
        width="stretch",
        height=timeline.lanes_height(1 + len(result.matches), 34),
    )
    ready = getattr(pairs, "status", "") == "done"
    if getattr(pairs, "status", "") == "failed":
        st.warning(safe.fmt("Frame pairs could not be cut: {}", safe.md(pairs.error, MESSAGE_LIMIT)))  # type: ignore[attr-defined]
    for i, m in enumerate(result.matches, start=1):
        match_pairs = pairs.result[i - 1] if ready else None  # type: ignore[attr-defined]
        match_card.show(f"{key}.{i}", i, m, match_pairs, float(result.query.duration))
