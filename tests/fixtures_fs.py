"""File-system helpers for safety tests: snapshots, a small disk that really fills up, no-root runs.

* :func:`snapshot` — every file in a folder with its sha256 and mtime (to prove nothing changed);
* :func:`small_disk` — a folder on a real 1 MB tmpfs (when this process may mount one: root
  with CAP_SYS_ADMIN) or, failing that, a file-size limit (``RLIMIT_FSIZE``) for the child;
* :data:`UNPRIVILEGED` — a command prefix that drops root's permission override
  (``setpriv --bounding-set -dac_override,-dac_read_search``), so that ``chmod`` protects files
  from a test running as root; ``[]`` when not root; ``None`` when it cannot be done.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """``{relative name: (sha256, mtime_ns)}`` of every file under ``folder``."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(folder))] = (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                p.stat().st_mtime_ns,
            )
    return out


def _unprivileged() -> list[str] | None:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return None
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


UNPRIVILEGED = _unprivileged()


@dataclass
class SmallDisk:
    folder: Path
    mounted: bool
    rlimit: int | None = None  # bytes a child may write per file (file-size-limit mode)
    _filler: Path | None = None

    def fill(self, leave_kb: int = 8) -> None:
        """Leave only ``leave_kb`` free (tmpfs), or cap every file the child writes at
        ``leave_kb`` (file-size limit)."""
        if self.mounted:
            st = os.statvfs(self.folder)
            free = st.f_bavail * st.f_frsize - leave_kb * 1024
            self._filler = self.folder / "filler.bin"
            with open(self._filler, "wb") as fh:
                fh.write(b"\0" * max(0, free))
        else:  # no write may reach past this offset of any file: the next commit cannot fit
            self.rlimit = leave_kb * 1024

    def free(self) -> None:
        if self._filler is not None and self._filler.exists():
            self._filler.unlink()
        self.rlimit = None


def can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@contextmanager
def small_disk(tmp_path: Path, how: str = "tmpfs", size_kb: int = 1024) -> Iterator[SmallDisk]:
    """A folder whose disk fills up for real (``how="tmpfs"``; skipped when no mount is possible)
    or whose children are held to a file-size limit (``how="file-size-limit"``)."""
    import pytest

    folder = tmp_path / f"disk-{how}"
    folder.mkdir()
    if how == "file-size-limit":
        yield SmallDisk(folder, mounted=False)
        return
    if not can_mount():
        pytest.skip("cannot mount a tmpfs here (not root); the file-size-limit variant covers this")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(folder)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield SmallDisk(folder, mounted=True)
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
