"""Overview: what the file is and what its metadata says about where it came from."""

import streamlit as st

from ui import safe
from ui.components import header, matches_teaser, overview, player, site_record
from ui.errors import MESSAGE_LIMIT, guard
from ui.shell import context

ctx = context()
header.show("Overview", ctx.loaded, icon=":material/dashboard:")
if ctx.loaded is None:
    header.no_file()
elif ctx.error:
    st.error(safe.md(ctx.error, MESSAGE_LIMIT), icon=":material/error:")
    st.caption("Open another file in the sidebar; nothing else is affected.")
elif ctx.info is not None:
    with guard("The overview"):
        left, right = st.columns([3, 2], gap="large")
        with left:
            player.show("player", ctx.loaded, ctx.info)
            matches_teaser.show("teaser", ctx.loaded, ctx.library)
            overview.show_signals(ctx.info)
        with right:
            overview.show_facts(ctx.info, ctx.loaded.name)
            overview.show_tags(ctx.info)
            site_record.show(ctx.loaded)
        a, b = st.columns(2, gap="large")
        with a:
            overview.show_device(ctx.info)
            overview.show_place(ctx.info)
        with b:
            overview.show_c2pa(ctx.info)
        overview.show_times(ctx.info)
