"""verify workbench: ``streamlit run app.py`` (http://127.0.0.1:8501, this machine only).

This one file is both halves of the workbench:

* imported by the server when ``streamlit run app.py`` starts it: ``app`` below is the ASGI app
  Streamlit serves (it finds ``app = st.App(...)`` here), with the guards of ``ui/server.py`` (no
  outbound connections, uploads streamed to disk) in place before the first request;
* run as the page script of every browser session (``__main__``): the sidebar and page routing in
  ``ui/shell.py``, the pages in ``ui/pages/``; every finding comes from the ``verify`` library.
"""

if __name__ == "__main__":
    from ui import shell

    shell.run()
else:
    import streamlit as st

    from ui import server

    server.prepare()
    app = st.App(__file__, middleware=server.middleware(), routes=server.routes())
