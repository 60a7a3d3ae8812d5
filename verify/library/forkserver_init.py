"""Fork-server preload of :mod:`verify.library.workers`: the fork server dies with its parent.

Imported by the fork server only (``set_forkserver_preload``), never by anything else: on
import, a process whose parent is the one named in ``VERIFY_WORKERS_PARENT`` asks the kernel
to SIGKILL it when that parent dies (``PR_SET_PDEATHSIG``), so a ``kill -9`` of ``verify
hash --workers N`` cannot leave the fork server (and through it the workers) behind. In any
other process the import does nothing.

It also quiets the one traceback a worker could print on the analyst's terminal: a worker
forked while its pool is being shut down (Ctrl-C) finds the pool's semaphores gone and reports
that through ``sys.excepthook``; the parent already says "interrupted".
"""

from __future__ import annotations

import os
import sys
from types import TracebackType

from .workers import PARENT_ENV, die_with_parent

#: What a worker meets when it starts while its pool is being shut down: the pool's semaphores
#: are already gone, or its pipe is closed.
_STOPPED_POOL = (FileNotFoundError, EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt)


def _bind_to_parent() -> None:
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit() or int(parent) == os.getpid() or os.getppid() != int(parent):
        return  # not the fork server of that parent
    die_with_parent()
    if os.getppid() != int(parent):  # the parent died before the request took effect
        os._exit(0)


def _quiet_start_failure(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook`` of the workers: a start that failed because the pool was stopping says nothing."""
    if issubclass(kind, _STOPPED_POOL):
        return
    sys.__excepthook__(kind, value, tb)


def _install() -> None:
    parent = os.environ.get(PARENT_ENV, "")
    if parent.isdigit() and int(parent) != os.getpid():  # the fork server (and the workers it forks)
        sys.excepthook = _quiet_start_failure


_bind_to_parent()
_install()
