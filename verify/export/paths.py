"""Writing outputs safely: only inside the folder given, never through a link, never half-written.

Every file verify writes for the analyst (reports, their pictures, case files, evidence videos,
frames) goes through here:

* :func:`check_output` refuses a target that is a symbolic link, a device, a FIFO or a socket
  (``report -o /dev/null`` is refused, not turned into ``/dev/null.html``; a FIFO is never
  opened, so nothing hangs), before any work is done;
* :func:`atomic` hands out a temporary file in the target's folder and renames it over the
  target only when it is complete, so a failure (a full disk, a kill) never truncates an
  earlier export;
* :func:`os_error` turns ``OSError`` into one plain sentence: the disk is full
  (:class:`~verify.errors.DiskFullError`), permission denied, read-only file system.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DiskFullError, OutputError, UnsafePathError
from ..text import safe_text

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str, default: str = "report") -> str:
    """A file-name stem made from untrusted text (letters, digits, ``._-`` only)."""
    stem = _UNSAFE.sub("_", text).strip("._")[:80]
    return stem or default


def check_name(name: str) -> str:
    """Reject a name that is not a plain file name."""
    bad = (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or (os.altsep is not None and os.altsep in name)
    )
    if bad:
        raise UnsafePathError(
            f"{safe_text(repr(name), limit=200)} is not a plain file name (no folders, no '..')"
        )
    return name


def os_error(exc: OSError, path: str | Path, doing: str = "write") -> OutputError:
    """A plain-language :class:`OutputError` for an ``OSError`` met while writing ``path``."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"cannot {doing} it: the disk is full ({exc.strerror or exc})", path=path)
    if code == errno.EFBIG:
        return DiskFullError(f"cannot {doing} it: the file-size limit of this process (ulimit -f) was reached",
                             path=path, hint="Raise the limit (ulimit -f unlimited) or write a smaller file.")  # fmt: skip
    if code in (errno.EACCES, errno.EPERM):
        return OutputError(f"cannot {doing} it: permission denied", path=path,
                           hint="Choose a folder you can write to.")  # fmt: skip
    if code == errno.EROFS:
        return OutputError(f"cannot {doing} it: the file system is read-only", path=path,
                           hint="Choose a folder on a writable disk.")  # fmt: skip
    return OutputError(f"cannot {doing} it ({exc.strerror or exc})", path=path)


def check_output(path: str | Path) -> Path:
    """``path`` if it may be written: absent, or a regular file; not a link, device, FIFO or socket."""
    p = Path(path)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return p
    except OSError as exc:
        raise os_error(exc, p, "check") from exc
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePathError("is a symbolic link; outputs never follow links", path=p)
    if stat.S_ISDIR(st.st_mode):
        raise UnsafePathError("is a folder, not a file", path=p, hint="Give a file name inside it.")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "a device"
        )
        raise UnsafePathError(f"is {kind}, not a regular file; outputs are only written to files", path=p)
    return p


def folder(out_dir: str | Path) -> Path:
    """``out_dir``, created when missing; refused when it is a link or not a folder; a plain error
    (permission denied, disk full) when it cannot be created."""
    base = Path(out_dir)
    if base.is_symlink():
        raise UnsafePathError("is a symbolic link; outputs never follow links", path=base)
    if base.exists() and not base.is_dir():
        raise UnsafePathError("is not a folder", path=base, hint="Choose a folder you can write to.")
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, base, "create the folder") from exc
    return base


def target(out_dir: str | Path, name: str) -> Path:
    """``out_dir/name``, created folder and all, guaranteed to stay inside ``out_dir``."""
    check_name(name)
    base = Path(out_dir)
    if base.is_symlink():
        raise UnsafePathError("is a symbolic link; outputs never follow links", path=base)
    try:
        base.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise UnsafePathError("exists and is not a folder", path=base) from exc
    except OSError as exc:
        raise os_error(exc, base, "create the folder for") from exc
    base = base.resolve()
    path = base / name
    check_output(path)
    if path.resolve().parent != base:
        raise UnsafePathError(f"resolves outside {base}", path=path)
    return path


def subfolder(out_dir: str | Path, name: str) -> Path:
    """A folder ``out_dir/name`` (created), not a link, inside ``out_dir``."""
    check_name(name)
    base = Path(out_dir).resolve()
    path = base / name
    if path.is_symlink():
        raise UnsafePathError("is a symbolic link; outputs never follow links", path=path)
    if path.exists() and not path.is_dir():
        raise UnsafePathError("exists and is not a folder", path=path)
    try:
        path.mkdir(exist_ok=True)
    except OSError as exc:
        raise os_error(exc, path, "create the folder") from exc
    return path


@contextmanager
def atomic(path: str | Path, *, mode: int = 0o644) -> Iterator[Path]:
    """A temporary file beside ``path`` (permissions ``mode``); renamed over ``path`` when the block
    ends without error.

    On any failure the temporary file is removed and ``path`` is left exactly as it was.
    ``OSError`` inside the block becomes an :class:`OutputError` (disk full, permission).
    """
    out = check_output(path)
    folder = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name[:40]}.", suffix=".part" + out.suffix, dir=folder)
    except OSError as exc:
        raise os_error(exc, out) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, mode)  # 0o644: what a plain open() gives under the usual umask (mkstemp makes 0600)
    try:
        try:
            yield tmp
            with open(tmp, "rb+") as fh:  # the data is on the disk before the name points to it
                os.fsync(fh.fileno())
            check_output(out)  # still not a link/FIFO planted meanwhile (rename would replace it anyway)
            os.replace(tmp, out)
        except OSError as exc:
            if isinstance(exc, OutputError):
                raise
            raise os_error(exc, out) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + rename; never through a link)."""
    with atomic(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return path
