"""The workbench UI (Streamlit): a thin layer over :mod:`verify`.

``app.py`` sets the page up and routes to ``ui/pages/*`` (no logic there). Components in
``ui/components`` each expose ``show(key, ...)`` and own their ``st.session_state`` entries.
The helpers here (data folder, uploads, previews, background jobs, case files) hold no analysis
logic: every finding comes from ``verify``.
"""
