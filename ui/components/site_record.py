"""What the site said about a fetched file (its ``verify.intake.SiteRecord``), on the Overview.

Shown for any file with a ``FILE.info.json`` beside it (fetched in the Link tab or with
``verify get``). Every value came from the site: an escaped HTML table (``safe.html_table``).
"""

from __future__ import annotations

import streamlit as st

from .. import links, safe
from ..files import Loaded


def show(loaded: Loaded) -> None:
    record = links.site_record(loaded.path)
    if record is None:
        return
    st.subheader("From the link", anchor=False)
    st.caption(
        "What the site says about the post: its upload time is compared with the file's own times in the "
        "provenance signals. Site records can be wrong too: leads, not proof."
    )
    st.html(safe.html_table(links.record_rows(record), "vf-facts"))
