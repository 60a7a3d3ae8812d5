"""Export: publish or archive what was found (report, case file, evidence video)."""

import streamlit as st

from ui import analysis
from ui.components import activity, exporter, header
from ui.errors import guard
from ui.shell import context

ctx = context()
header.show(
    "Export",
    ctx.loaded,
    icon=":material/ios_share:",
    blurb="Reports carry the file's hashes, metadata, keyframes, matches with frame pairs, your notes and the chain "
    "of custody. Files are written to the data folder and offered for download.",
)
if ctx.loaded is None:
    header.no_file()
elif ctx.error:
    st.error(ctx.error, icon=":material/error:")
else:
    report_tab, case_tab, evidence_tab, open_tab = st.tabs(
        ["Report", "Case file", "Evidence video", "Open a case file"]
    )
    with report_tab, guard("The report export"):
        exporter.show_report("export.report", ctx.loaded, ctx.library)
    with case_tab, guard("Saving the case"):
        exporter.show_case("export.case", ctx.loaded, ctx.library)
    with evidence_tab, guard("The evidence video"):
        task = activity.match_task(ctx.loaded, ctx.library)
        if task is not None and task.active:
            st.progress(task.fraction, text=f"{task.stage}…")
        else:
            view = analysis.match_view(task) if task and task.status == "done" else None
            exporter.show_evidence("export.evidence", ctx.loaded, view)
    with open_tab, guard("Opening the case file"):
        exporter.show_open_case("export.open")
