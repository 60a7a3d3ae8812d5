"""Fork-server preload of :mod:`verify.library.workers`: the fork server dies with its parent.

Imported by the fork server only (``set_forkserver_preload``), never by anything else: on
import, a process whose parent is the one named in ``VERIFY_WORKERS_PARENT`` asks the kernel
to SIGKILL it when that parent dies (``PR_SET_PDEATHSIG``), so a ``kill -9`` of ``verify
hash --workers N`` cannot leave the fork server (and through it the workers) behind. In any
other process the import does nothing.
"""

from __future__ import annotations

import os

from .workers import PARENT_ENV, die_with_parent


def _bind_to_parent() -> None:
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit() or int(parent) == os.getpid() or os.getppid() != int(parent):
        return  # not the fork server of that parent
    die_with_parent()
    if os.getppid() != int(parent):  # the parent died before the request took effect
        os._exit(0)


_bind_to_parent()
