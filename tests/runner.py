"""Run ``python -m verify …`` as a child process and measure it: exit code, output, wall time, peak RSS.

Peak memory comes from ``os.wait4`` on that one child (``ru_maxrss``), not from
``RUSAGE_CHILDREN`` (which is the maximum over every child this process ever waited for).
Shared by the case-attack suite, the fuzz harness and the process tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    code: int  # exit code; -N when killed by signal N; None never (a hang is killed and reported)
    stdout: bytes
    stderr: bytes
    seconds: float
    peak_mb: float
    hung: bool = False

    @property
    def err_lines(self) -> list[str]:
        return self.stderr.decode("utf-8", "replace").splitlines()

    @property
    def traceback(self) -> bool:
        return b"Traceback (most recent call last)" in self.stderr


def verify_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "verify", *args]


def _limits(fsize: int | None):  # type: ignore[no-untyped-def]
    if fsize is None:
        return None

    def apply() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return apply


def run_verify(
    *args: str,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    prefix: list[str] | None = None,
    rlimit_fsize: int | None = None,
    stdin: bytes | None = None,
) -> Run:
    """Run ``python -m verify ARGS`` to completion (killed after ``timeout`` s: ``hung=True``).

    ``prefix`` goes before the interpreter (e.g. ``setpriv …``); ``rlimit_fsize`` caps the size
    of every file the child writes (``RLIMIT_FSIZE``, SIGXFSZ ignored).
    """
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp:
        inp.write(stdin or b"")
        inp.seek(0)
        started = time.monotonic()
        proc = subprocess.Popen([*(prefix or []), *verify_cmd(*args)], stdin=inp, stdout=out, stderr=err,
                                env=full_env, cwd=cwd, start_new_session=True,
                                preexec_fn=_limits(rlimit_fsize))  # fmt: skip
        hung = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                hung = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, out.read(), err.read(), seconds, usage.ru_maxrss / 1024, hung)
