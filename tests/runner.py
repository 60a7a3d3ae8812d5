"""Run ``python -m verify …`` as a child process and measure it: exit code, output, wall time, peak RSS.

Peak memory is the child's own ``ru_maxrss``, read with ``wait4`` by a small launcher process
(:data:`LAUNCHER`) that spawns the command and writes the result to a file. Not
``RUSAGE_CHILDREN`` (the maximum over every child this process ever waited for), and not a
direct ``wait4`` either: Linux carries a process's high-water RSS across ``exec``, so a child
forked from a big process (pytest after heavy tests, a harness holding a 50 MB test case)
reports the parent's size. The launcher is ~10 MB when it spawns. Shared by the case-attack
suite, the fuzz harness and the safety tests.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: Spawns argv[2:] from a fresh (small) interpreter, waits for it, writes "status maxrss_kb" to argv[1].
LAUNCHER = """
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(f"{status} {usage.ru_maxrss}")
"""


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
    return run_measured(verify_cmd(*args), timeout=timeout, env=full_env, cwd=cwd, prefix=prefix,
                        preexec=_limits(rlimit_fsize), stdin=stdin)  # fmt: skip


def run_measured(
    argv: list[str],
    *,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    prefix: list[str] | None = None,
    preexec: Any = None,
    stdin: bytes | None = None,
) -> Run:
    """Run ``argv`` (its ``argv[0]`` a full path) through :data:`LAUNCHER`; see the module docstring."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp, \
            tempfile.TemporaryDirectory(prefix="verify-run-") as tmp:  # fmt: skip
        inp.write(stdin or b"")
        inp.seek(0)
        result = Path(tmp) / "result"
        started = time.monotonic()
        proc = subprocess.Popen([*(prefix or []), sys.executable, "-c", LAUNCHER, str(result), *argv], stdin=inp,
                                stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True,
                                preexec_fn=preexec)  # fmt: skip
        hung = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            hung = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        seconds = time.monotonic() - started
        if result.exists() and not hung:
            status, maxrss = (int(x) for x in result.read_text().split())
            code, peak = os.waitstatus_to_exitcode(status), maxrss / 1024
        else:
            code, peak = (-signal.SIGKILL if hung else proc.returncode), 0.0
        out.seek(0)
        err.seek(0)
        return Run(code, out.read(), err.read(), seconds, peak, hung)
