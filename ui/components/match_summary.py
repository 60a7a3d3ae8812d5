"""The Matches page body: the plain-language summary on top, the clip timeline, one card per match,
and apart from the matches the same-scene results (same view, time undetermined)."""

from __future__ import annotations

import streamlit as st

from verify.matching import EXPLANATION, SceneMatch
from verify.text import plural

from .. import safe
from ..analysis import MatchView, pair_views
from ..files import Loaded
from . import match_card, timeline
from .library_picker import ActiveLibrary


def show(key: str, loaded: Loaded, library: ActiveLibrary, view: MatchView) -> None:
    result = view.result
    n_refs = view.library_references
    if not result.matches:
        if result.scenes:
            st.info(
                f"**No time-aligned match** ({safe.md(plural(n_refs, 'reference'))} in "
                f"{safe.md(library.label)}), but the same scene as "
                f"{safe.md(plural(len({s.reference.id for s in result.scenes}), 'known clip'))}: see below.",
                icon=":material/search_off:",
            )
            _scenes(result.scenes)
            return
        st.success(
            f"**No match in the library** ({safe.md(plural(n_refs, 'reference'))} in "
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
        for line in result.summary_lines():  # plain sentences from verify: shown as text
            st.markdown(f"- {safe.md(line, 1000)}")
        st.caption(
            f"Checked against {safe.md(plural(n_refs, 'reference'))} in {safe.md(library.label)}. "
            "Footage first seen before the event it is said to show is recycled."
        )
    st.altair_chart(
        timeline.clip_overview(float(result.query.duration), result.matches),
        width="stretch",
        height=timeline.lanes_height(timeline.overview_lanes(result.matches), 34),
    )
    pairs = pair_views(view)
    for i, m in enumerate(result.matches, start=1):
        match_pairs = None if pairs is None else pairs[i - 1] if i - 1 < len(pairs) else ()
        match_card.show(
            f"{key}.{i}", i, m, match_pairs, float(result.query.duration), result.query.kind != "audio"
        )
    _scenes(result.scenes)


def _scenes(scenes: tuple[SceneMatch, ...]) -> None:
    """Same scene as a known clip, time undetermined: never a match, said apart, with what it means."""
    if not scenes:
        return
    with st.container(border=True):
        st.markdown(
            f"#### :material/landscape: Same scene, time undetermined: "
            f"{safe.md(plural(len({s.reference.id for s in scenes}), 'known clip'))}"
        )
        st.caption(safe.md(EXPLANATION, 2000))
        for s in scenes:  # plain sentences from verify (untrusted titles inside): shown as text
            st.markdown(f"- {safe.md(s.summary(), 1000)}")
