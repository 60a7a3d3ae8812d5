"""Background work for the workbench: long stages run in a worker thread so the page stays usable.

A :class:`Task` records its stage name, progress, result or error; pages read it, and a polling
fragment re-renders while it runs. :attr:`Runner.finished` counts the tasks that have ended, so a
page can be told the moment one does (``ui/server.py``'s ``/_verify/activity``). The worker only
calls ``verify``: it never touches Streamlit.
Tasks are keyed (e.g. ``"match:<sha256>:<library>"``), so the same work is never queued twice and
a finished result is reused (the per-file cache of the analysis); a failed task stays failed (its
message is shown, the work is not tried again on every visit) until it is forgotten.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from verify.errors import VerifyError

from . import memory

log = logging.getLogger("verify")

MAX_TASKS = 64


@dataclass
class Task:
    key: str
    label: str
    group: str = ""  # what the task works on (a file's sha256): tasks of one group run in order
    stage: str = "queued"
    done: float = 0.0
    total: float = 1.0
    status: str = "queued"  # queued, running, done, failed
    result: Any = None
    error: str | None = None
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    finished_event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def fraction(self) -> float:
        if self.status == "done":
            return 1.0
        return min(1.0, max(0.0, self.done / self.total)) if self.total else 0.0

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    def set_stage(self, name: str) -> None:
        self.stage = name
        self.done, self.total = 0.0, 1.0

    def progress(self, done: float, total: float) -> None:
        self.done, self.total = float(done), float(total or 1.0)


def describe(exc: BaseException, label: str) -> str:
    """One readable line for the page: verify's own message, or what failed and how to report it."""
    if isinstance(exc, VerifyError):
        return str(exc)
    return (
        f"{label} failed unexpectedly ({type(exc).__name__}: {exc}). The rest of the workbench still works; "
        "please report this with the file's sha256."
    )


class Runner:
    """A small keyed task queue with one worker thread (the machine is shared).

    The queue is last-in-first-out across files, and asking again for a queued task moves it to the
    front: the file the analyst is looking at now is served before files opened earlier. Tasks of
    the same ``group`` (one file) run in the order they were asked for.
    """

    def __init__(self) -> None:
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._queue: list[tuple[Task, Callable[[Task], Any], str]] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._loop, name="verify-ui-worker", daemon=True)
        #: how many tasks have ended (done or failed) since the server started
        self.finished = 0
        self._thread.start()

    def submit(self, key: str, label: str, fn: Callable[[Task], Any], group: str = "") -> Task:
        with self._lock:
            task = self._tasks.get(key)
            # a failed task is remembered as failed (asking again does not run it again and again)
            if task is not None:
                self._tasks.move_to_end(key)
                for i, (queued, _fn, _group) in enumerate(self._queue):
                    if queued is task:  # asked for again: serve it next
                        self._queue.append(self._queue.pop(i))
                        break
                return task
            task = Task(key, label, group or key)
            self._tasks[key] = task
            while len(self._tasks) > MAX_TASKS:
                oldest = next(iter(self._tasks))
                if self._tasks[oldest].active:
                    break
                self._tasks.pop(oldest)
            self._queue.append((task, fn, group or key))
            self._wake.notify()
        return task

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    self._wake.wait()
                group = self._queue[-1][2]  # the file asked for last
                i = next(i for i, item in enumerate(self._queue) if item[2] == group)
                task, fn, _ = self._queue.pop(i)  # its oldest task first
            self._run(task, fn)

    def _run(self, task: Task, fn: Callable[[Task], Any]) -> None:
        task.status, task.started = "running", time.monotonic()
        try:
            task.result = fn(task)
            task.status = "done"
        except Exception as exc:  # noqa: BLE001 - the UI edge: every failure becomes a message
            if not isinstance(exc, VerifyError):
                log.error("%s failed:\n%s", task.label, traceback.format_exc())
            task.error = describe(exc, task.label)
            task.status = "failed"
        finally:
            task.finished = time.monotonic()
            memory.trim()  # what the job freed goes back to the system (ui/memory.py)
            with self._lock:
                self.finished += 1
            task.finished_event.set()

    def get(self, key: str) -> Task | None:
        with self._lock:
            return self._tasks.get(key)

    def forget(self, key: str) -> None:
        with self._lock:
            task = self._tasks.get(key)
            if task is not None and not task.active:
                self._tasks.pop(key)

    def clear(self) -> None:
        """Forget every finished task (tests: a fresh start)."""
        with self._lock:
            for key in [k for k, t in self._tasks.items() if not t.active]:
                self._tasks.pop(key)

    def active(self) -> list[Task]:
        with self._lock:
            return [t for t in self._tasks.values() if t.active]

    def wait_idle(self, timeout: float = 120.0) -> bool:
        """Block until nothing is queued or running (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = self.active()
            if not pending:
                return True
            pending[0].finished_event.wait(max(0.0, min(1.0, deadline - time.monotonic())))
        return not self.active()


_runner: Runner | None = None
_runner_lock = threading.Lock()


def runner() -> Runner:
    """The process-wide runner (shared by all sessions, like st.cache_resource)."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = Runner()
        return _runner
