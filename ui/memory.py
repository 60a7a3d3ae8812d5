"""The server's memory, kept to what it uses: glibc's allocator told not to hoard.

A long-running Python server on glibc grows by fragmentation: every thread that allocates gets
its own malloc arena (up to 8 per core), and memory freed in an arena is rarely handed back to
the system. The workbench decodes and matches in background threads, so after 10 uploads of a
60 s clip its server held ~300 MB where ~250 MB would do (``benchmarks/bench_workbench.py``;
``MALLOC_ARENA_MAX=2`` measured 251 MB after 10 uploads against 265-304 MB without).

:func:`tune` (at server start, before the worker threads exist) caps the arenas at two;
:func:`trim` (after each background job) returns the free memory at the top of each arena to the
system. Both do nothing where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger("verify")

_M_ARENA_MAX = -8  # glibc <malloc.h>
ARENAS = 2


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def tune(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas (threads started afterwards share them); True when applied."""
    libc = _libc()
    if libc is None:
        return False
    ok = bool(libc.mallopt(_M_ARENA_MAX, int(arenas)))
    log.debug("malloc arenas capped at %d: %s", arenas, ok)
    return ok


def trim() -> bool:
    """Hand the allocator's free memory back to the system; True when some was released."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
