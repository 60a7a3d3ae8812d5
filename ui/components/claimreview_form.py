"""ClaimReview on the Export page: publish the verdict as schema.org JSON-LD (``verify.export.claimreview``).

A form for what only the analyst knows (``ClaimDetails``), prefilled from the site record of a
fetched file (appearance URL = the page, claim author = the uploader, claim date = the upload date)
and from the notes (the rating explanation is the notes' summary); ``claim_review(report, details)``
on the same report the Report tab builds, ``validate(doc)`` errors listed by field, and downloads of
``to_json_ld(doc)`` and ``script_tag(doc)``. The document is shown with ``st.code`` (text).
Owns ``st.session_state["<key>.*"]``.
"""

from __future__ import annotations

import streamlit as st

from .. import cases, links, safe
from ..config import paths
from ..files import Loaded
from .exporter import build
from .library_picker import ActiveLibrary

FIELDS = (
    ("claim", "The claim (as made)", "Video shows black smoke over the army camp next to the airport"),
    ("claim_author", "Who made the claim", "@handle or name"),
    ("claim_author_url", "Their page (URL)", "https://…"),
    ("appearance_url", "Where the claim was seen (URL)", "https://…"),
    ("claim_date", "When it was made (YYYY-MM-DD)", "2024-03-01"),
    ("publisher", "Publisher of the fact-check", "Example Fact Check"),
    ("publisher_url", "Publisher's site (URL)", "https://…"),
    ("review_url", "URL of the published fact-check", "https://…"),
    ("author", "Author of the fact-check (default: the publisher)", "name"),
)


def prefill(loaded: Loaded) -> dict[str, str]:
    """What the site record says, as starting values (the analyst checks and edits them)."""
    record = links.site_record(loaded.path)
    if record is None:
        return {}
    return {
        "appearance_url": record.webpage_url or record.url,
        "claim_author": record.uploader or record.channel,
        "claim_author_url": record.uploader_url or record.channel_url,
        "claim_date": record.upload_date,
    }


def show(key: str, loaded: Loaded, library: ActiveLibrary) -> None:
    from verify.export.claimreview import ClaimDetails, ClaimReviewError, claim_review, script_tag, to_json_ld
    from verify.export.claimreview import validate as check

    st.caption(
        "The markup fact-checkers publish with a debunk (schema.org ClaimReview, read by search engines and "
        "the Google Fact Check tools). The rating comes from the verdict on the Notes page. Nothing is sent."
    )
    start = prefill(loaded)
    with st.form(f"{key}.form", border=False):
        values = {}
        for name, label, hint in FIELDS:
            values[name] = st.text_input(
                safe.md(label), value=start.get(name, ""), key=f"{key}.{name}", placeholder=hint
            )
        made = st.form_submit_button("Make the ClaimReview", icon=":material/fact_check:", type="primary")
    if made:
        try:
            doc = claim_review(
                build(loaded, library), ClaimDetails(**{k: v.strip() for k, v in values.items()})
            )
        except ClaimReviewError as exc:
            st.session_state[f"{key}.ready"] = (
                loaded.sha256,
                None,
                (f"{exc.message}: fill in those fields.",),
                (),
            )
        else:
            result = check(doc)
            st.session_state[f"{key}.ready"] = (loaded.sha256, doc, result.errors, result.warnings)
            if result.ok:
                cases.log(paths().cases, loaded.sha256, "exported", "ClaimReview JSON-LD", name=loaded.name)
    ready = st.session_state.get(f"{key}.ready")
    if not ready or ready[0] != loaded.sha256:
        return
    _, doc, errors, warnings = ready
    for e in errors:
        st.error(safe.md(e, 600), icon=":material/error:")
    for w in warnings:
        st.warning(safe.md(w, 600), icon=":material/warning:")
    if doc is None or errors:
        return
    st.success("Valid: every field the Fact Check markup requires is there.", icon=":material/check:")
    text = to_json_ld(doc)
    st.code(safe.lines(text, 200_000), language="json")
    a, b = st.columns(2)
    a.download_button(
        "Download JSON-LD", data=text.encode("utf-8"), file_name="claimreview.jsonld", mime="application/ld+json",
        icon=":material/download:", key=f"{key}.json", on_click="ignore", width="stretch",
    )  # fmt: skip
    b.download_button(
        "Download as a <script> tag", data=script_tag(doc).encode("utf-8"), file_name="claimreview.html",
        mime="text/html", icon=":material/code:", key=f"{key}.tag", on_click="ignore", width="stretch",
    )  # fmt: skip
