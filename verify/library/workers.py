"""Worker processes for :func:`verify.library.ingest` that never outlive the process that started them.

The pool runs on a fork server (a clean process that imported verify once and forks workers
from itself), or spawns workers where there is none. Two guarantees:

* **Killed parent, no orphans** (even ``kill -9``, which allows no clean-up): the fork server
  asks Linux to SIGKILL it when its parent dies (``PR_SET_PDEATHSIG``, set on import of
  :mod:`verify.library.forkserver_init`, a fork-server preload), and every worker asks the same
  of *its* parent, the fork server. So the parent's death takes the fork server down, and that
  takes the workers; the resource tracker then sees its last client go and exits too. A worker
  that finds the parent already gone when it starts exits at once.
* **Stopped at once** (Ctrl-C, a closed generator): :meth:`WorkerPool.stop_now` kills every
  worker by the pid it reported when it started, and tells any worker it missed to take no more
  jobs; nothing waits for a running fingerprint to finish. SIGINT is held back meanwhile, so a
  second Ctrl-C cannot interrupt the clean-up.

Linux ties the parent-death signal to the *thread* that started the fork server: a process that
hashes from a short-lived thread loses its fork server when that thread ends, and
``multiprocessing`` starts a new one for the next pool (a pool running on it meanwhile breaks
and its files are retried once, as after a worker crash). The CLI hashes from its main thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

#: Environment variable through which the fork server learns its parent's pid.
PARENT_ENV = "VERIFY_WORKERS_PARENT"
_PR_SET_PDEATHSIG = 1

_stopping: Any = None  # in a worker: the pool's "stop" event


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Have the kernel send ``sig`` to this process when its parent (thread) dies; Linux only."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def context() -> multiprocessing.context.BaseContext:
    """Never a plain fork of this process (it holds SQLite handles and maybe threads). The fork
    server imports verify once and forks workers from that clean process: no import per worker."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        os.environ[PARENT_ENV] = str(os.getpid())  # read by forkserver_init in the fork server
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(
            ["verify.library.forkserver_init", "verify.fingerprint", "verify.library.ingest"]
        )
        return ctx
    return multiprocessing.get_context("spawn")


def _worker_init(parent: int, pids: Any, stopping: Any) -> None:
    """In each worker: die with the fork server, leave Ctrl-C to the parent, report the pid."""
    global _stopping
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    if not alive(parent):  # the parent died before the request above took effect
        os._exit(1)
    _stopping = stopping
    pids.put(os.getpid())


def stopping() -> bool:
    """In a worker: whether the pool is being stopped (take no more jobs)."""
    return _stopping is not None and _stopping.is_set()


@contextlib.contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold SIGINT back (main thread only) while cleaning up; it is delivered when the block ends."""
    main = threading.current_thread() is threading.main_thread() and hasattr(signal, "pthread_sigmask")
    if main:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if main:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class WorkerPool:
    """A ``ProcessPoolExecutor`` whose workers die with this process and can be stopped at once."""

    def __init__(self, workers: int) -> None:
        self.ctx = context()
        self._pids = self.ctx.SimpleQueue()
        self._stopping = self.ctx.Event()
        self._seen: set[int] = set()
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=self.ctx,
            initializer=_worker_init,
            initargs=(os.getpid(), self._pids, self._stopping),
        )

    def _drain(self) -> set[int]:
        while not self._pids.empty():
            self._seen.add(int(self._pids.get()))
        return self._seen

    def stop_now(self) -> None:
        """Kill every worker now and cancel what is queued (a running job is not finished)."""
        with sigint_deferred():
            self._stopping.set()
            for pid in self._drain():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Let the workers finish and exit (the normal end of a batch)."""
        self.executor.shutdown(wait=True)


__all__ = ["PARENT_ENV", "WorkerPool", "alive", "context", "die_with_parent", "sigint_deferred", "stopping"]
