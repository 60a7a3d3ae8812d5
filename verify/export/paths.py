"""Writing exports only inside the folder given: no separators, no ``..``, no symlink escapes."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import UnsafePathError

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
        raise UnsafePathError(f"{name!r} is not a plain file name (no folders, no '..')", path=name)
    return name


def folder(out_dir: str | Path) -> Path:
    """``out_dir``, created when missing; a clear error when it cannot be."""
    base = Path(out_dir)
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnsafePathError(
            f"cannot create the folder ({exc.strerror or exc})",
            path=base,
            hint="Choose a folder you can write to.",
        ) from exc
    if not base.is_dir():
        raise UnsafePathError("is not a folder", path=base, hint="Choose a folder you can write to.")
    return base


def target(out_dir: str | Path, name: str) -> Path:
    """``out_dir/name``, created folder and all, guaranteed to stay inside ``out_dir``."""
    check_name(name)
    base = Path(out_dir)
    base.mkdir(parents=True, exist_ok=True)
    base = base.resolve()
    path = base / name
    if path.is_symlink():
        raise UnsafePathError("is a symbolic link; exports do not follow links", path=path)
    if path.resolve().parent != base:
        raise UnsafePathError(f"resolves outside {base}", path=path)
    return path


def subfolder(out_dir: str | Path, name: str) -> Path:
    """A folder ``out_dir/name`` (created), not a link, inside ``out_dir``."""
    path = target(out_dir, name)
    if path.exists() and not path.is_dir():
        raise UnsafePathError("exists and is not a folder", path=path)
    path.mkdir(exist_ok=True)
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    """Write without following a symlink planted at ``path`` between check and write."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise UnsafePathError(f"cannot write the export ({exc.strerror})", path=path) from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path
