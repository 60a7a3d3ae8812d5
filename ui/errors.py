"""Failures become one readable message in the page, never a traceback.

Messages quote file names and paths, so they are shown through ``ui.safe.md`` (text, not markup).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import streamlit as st

from verify.errors import VerifyError

from . import safe

if TYPE_CHECKING:
    from .files import Loaded

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


#: Prefixes libraries put before their own messages ("Other: Other: asset could not be parsed").
_KIND_PREFIX = re.compile(r"(?:\b(?:Other|Error|[A-Z][A-Za-z]*(?:Error|Exception))\s*:\s*)+")
#: Lines tools end their output with that say nothing about the file.
_NOISE = re.compile(r"\s*\(?(?:Conversion failed!?|Error opening output files?[^)]*)\)?", re.IGNORECASE)


def readable(text: str, loaded: Loaded | None = None) -> str:
    """One line an analyst can read about ``loaded``: named as it was uploaded, no tool internals.

    An upload is stored as ``uploads/<sha256>.<ext>``: that path (which means nothing to the analyst)
    becomes the name the file came with, and the line starts with that name when it does not name
    it already. Libraries' exception kinds ("Other: Other: ...") and ffmpeg's closing "Conversion
    failed!" are dropped; line breaks become spaces.
    """
    text = " ".join(str(text).split())
    if loaded is not None:
        stored = {str(loaded.path), str(loaded.path.resolve())}
        for p in sorted(stored, key=len, reverse=True):
            text = text.replace(p, loaded.name)
        if loaded.origin == "upload" and loaded.path.name != loaded.name:
            text = text.replace(loaded.path.name, loaded.name)
    text = _KIND_PREFIX.sub("", text)
    text = _NOISE.sub("", text).strip()
    text = re.sub(r"\(\s*\)", "", text).strip() or "the file could not be analysed"
    if loaded is not None and loaded.name not in text:
        text = f"{loaded.name}: {text}"
    return text


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
