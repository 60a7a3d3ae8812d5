"""OCR stays on this machine: ONNX Runtime's telemetry is off, no socket is opened, nothing is written.

ONNX Runtime ships Microsoft's telemetry SDK (it writes device facts to
``~/.cache/Microsoft/DeveloperTools/.onnxruntime/`` and looks up ``mobile.events.data.microsoft.com``).
The process is traced with strace (every ``connect``, from Python or from C++ threads alike).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import numpy as np, cv2
from verify.ocr import read_text
img = np.full((120, 480, 3), 255, np.uint8)
cv2.putText(img, "LIVE 2024", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4)
r = read_text([(0.0, img)])
print(r.frames_read, r.engine)
"""


@pytest.mark.slow
def test_ocr_opens_no_socket_and_writes_no_telemetry(tmp_path: Path) -> None:
    pytest.importorskip("rapidocr")
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (Debian package strace)")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}  # verify must set it itself
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PYTHONPATH=str(ROOT))
    log = tmp_path / "trace.txt"
    out = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=connect", "-o", str(log), sys.executable, "-c", SCRIPT],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("1 rapidocr"), out.stdout  # the engine really ran on a frame
    calls = [line for line in log.read_text().splitlines() if "connect(" in line]
    network = [c for c in calls if "AF_UNIX" not in c]
    assert network == [], network  # not even a DNS look-up
    assert not (home / ".cache" / "Microsoft").exists(), "ONNX Runtime wrote its telemetry store"
