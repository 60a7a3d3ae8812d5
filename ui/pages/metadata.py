"""Metadata: every field the file carries, searchable; the raw record on demand."""

import streamlit as st

from ui import safe
from ui.components import header, metadata_tables
from ui.errors import MESSAGE_LIMIT, guard
from ui.shell import context

ctx = context()
header.show(
    "Metadata",
    ctx.loaded,
    icon=":material/table_rows:",
    blurb="Every container, stream and EXIF field as written in the file, and how verify read them.",
)
if ctx.loaded is None:
    header.no_file()
elif ctx.error:
    st.error(safe.md(ctx.error, MESSAGE_LIMIT), icon=":material/error:")
elif ctx.info is not None:
    with guard("The metadata tables"):
        metadata_tables.show("metadata", ctx.info)
