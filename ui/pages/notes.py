"""Notes: what the analyst checked and concluded, kept with the case."""

import streamlit as st

from ui.components import header, notes_form
from ui.errors import guard
from ui.shell import context

ctx = context()
header.show(
    "Notes",
    ctx.loaded,
    icon=":material/edit_note:",
    blurb="Per check: a status, how confident you are, and why. Saved on this machine with the file's case; "
    "the export writes them.",
)
if ctx.loaded is None:
    header.no_file()
else:
    with guard("The notes"):
        notes_form.show("notes", ctx.loaded)
        notes_form.show_custody("custody", ctx.loaded)
    if ctx.error:
        st.caption("The file could not be read, but notes can still be kept on it.")
