"""Failures become one readable message in the page, never a traceback.

Messages quote file names and paths, so they are shown through ``ui.safe.md`` (text, not markup).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st

from verify.errors import VerifyError

from . import safe

log = logging.getLogger("verify")

#: Longest error message shown (messages quote file names, which may be long and hostile).
MESSAGE_LIMIT = 1000


def message(exc: BaseException, what: str) -> str:
    if isinstance(exc, VerifyError):
        return str(exc)
    return (
        f"{what} failed unexpectedly ({type(exc).__name__}: {exc}). "
        "The rest of the workbench still works; please report this with the file's sha256."
    )


@contextlib.contextmanager
def guard(what: str) -> Iterator[None]:
    """Show verify's errors (and unexpected ones) as ``st.error``; Streamlit's reruns pass through."""
    try:
        yield
    except VerifyError as exc:
        st.error(safe.md(message(exc, what), MESSAGE_LIMIT), icon=":material/error:")
    except Exception as exc:  # the UI edge: nothing reaches the page as a traceback
        log.exception("%s failed", what)
        st.error(safe.md(message(exc, what), MESSAGE_LIMIT), icon=":material/error:")
