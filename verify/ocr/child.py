"""OCR in a child process: the engine (ONNX Runtime and three models, ~180 MB resident) lives and
dies there, so a long-running process (the workbench's server) does not keep it.

:func:`read_in_child` writes the pictures (JPEG bytes, as the analysis keeps them) and the settings
to a private temporary folder, runs ``python -m verify.ocr.child FOLDER``, relays its progress
lines to ``progress`` (which may raise to cancel: the child is killed) and reads its result back
through ``verify.serial``. The child dies with its parent (``PR_SET_PDEATHSIG``) and is killed
when it runs over ``timeout``. Errors come back as verify's (``OcrUnavailableError`` when the
engine cannot load, ``OcrError`` for anything else the child reports).

The protocol is private to this module: ``job.json`` (settings, times), ``NNNN.jpg`` (pictures),
``result.json`` or ``error.json`` written by the child, ``progress DONE TOTAL`` lines on its stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from ..errors import OcrError, OcrUnavailableError
from .engine import OcrSettings
from .model import OcrResult

Progress = Callable[[float, float], None]

#: Longest an OCR job may take in its child (seconds) before it is killed.
TIMEOUT = 900.0


def read_in_child(
    frames: Sequence[tuple[float, bytes]],
    settings: OcrSettings | None = None,
    *,
    progress: Progress | None = None,
    timeout: float = TIMEOUT,
) -> OcrResult:
    """``verify.ocr.read_text`` of ``frames`` ((time, JPEG bytes) pairs) in a child process."""
    from .. import serial

    settings = settings or OcrSettings()
    with tempfile.TemporaryDirectory(prefix="verify-ocr-") as tmp:
        folder = Path(tmp)
        for i, (_t, jpeg) in enumerate(frames):
            (folder / f"{i:04d}.jpg").write_bytes(jpeg)
        job = {"settings": asdict(settings), "times": [float(t) for t, _ in frames]}
        (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
        _run(folder, progress, timeout)
        result = folder / "result.json"
        if result.exists():
            return serial.loads(OcrResult, result.read_text(encoding="utf-8"))
        error = folder / "error.json"
        if error.exists():
            info = json.loads(error.read_text(encoding="utf-8"))
            cls = OcrUnavailableError if info.get("type") == "OcrUnavailableError" else OcrError
            raise cls(str(info.get("message", "the OCR failed"))[:500])
        raise OcrError("the OCR process ended without a result")


def _run(folder: Path, progress: Progress | None, timeout: float) -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "verify.ocr.child", str(folder)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + timeout
    killed = threading.Event()

    def kill() -> None:  # a child that runs over its time is killed, also one that hangs silently
        killed.set()
        proc.kill()

    watchdog = threading.Timer(timeout, kill)
    watchdog.daemon = True
    watchdog.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "progress" and progress is not None:
                progress(float(parts[1]), float(parts[2]))  # may raise to cancel: the child is killed
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        if killed.is_set():
            raise OcrError(f"the OCR took more than {timeout:.0f} s and was stopped")
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"the OCR took more than {timeout:.0f} s and was stopped") from exc
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def _child(folder: Path) -> int:
    """In the child: read the job, OCR it, write the result (or the error)."""
    from .. import serial
    from ..errors import VerifyError
    from ..library.workers import die_with_parent
    from ..pictures import decode as decode_picture

    die_with_parent()
    try:
        from . import read_text

        job = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        settings = OcrSettings(**job["settings"])
        frames = [
            (float(t), decode_picture((folder / f"{i:04d}.jpg").read_bytes()))
            for i, t in enumerate(job["times"])
        ]

        def tell(done: float, total: float) -> None:
            os.write(1, f"progress {done} {total}\n".encode())  # the pipe to the parent (_run)

        result = read_text(frames, settings, progress=tell)
    except VerifyError as exc:
        (folder / "error.json").write_text(json.dumps({"type": type(exc).__name__, "message": exc.message}))
        return 1
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:  # the engine's own failures
        (folder / "error.json").write_text(json.dumps({"type": type(exc).__name__, "message": str(exc)}))
        return 1
    tmp = folder / "result.json.part"
    tmp.write_text(serial.dumps(result), encoding="utf-8")
    tmp.replace(folder / "result.json")
    return 0


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1])))
