"""verify workbench: ``streamlit run app.py``.

A thin entry point: the sidebar (file, library, background activity) and page routing live in
``ui/shell.py``; the pages in ``ui/pages/``; every finding comes from the ``verify`` library.
"""

from ui import shell

shell.run()
