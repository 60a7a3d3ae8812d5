"""Which file a page address names: ``?file=<sha256>``, so a reload or a bookmark returns to it.

The address names a file only by its sha256; it is looked up among the files this workbench
itself stored or opened, never opened as a path:

* uploads: ``uploads/<sha256[:16]>-<name>`` in the data folder;
* bundled samples;
* files opened by path, recorded in ``opened.json`` in the data folder when they were opened, and
  opened again only when ``ui.access`` still allows that path (the allow-list on another address).

Whatever is found is hashed (once per process, ``ui.files``) and must have that sha256.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
from pathlib import Path

from . import access, cases
from .config import DataPaths
from .files import Loaded, file_digests
from .samples import sample_clips

log = logging.getLogger("verify")

SHA256 = re.compile(r"[0-9a-f]{64}")
#: Most files opened by path that are remembered.
MAX_REMEMBERED = 500
_lock = threading.Lock()


def _registry(paths: DataPaths) -> Path:
    return paths.root / "opened.json"


def _read(paths: DataPaths) -> dict[str, str]:
    try:
        data = json.loads(_registry(paths).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return (
        {k: v for k, v in data.items() if SHA256.fullmatch(k) and isinstance(v, str)}
        if isinstance(data, dict)
        else {}
    )


def remember(paths: DataPaths, loaded: Loaded) -> None:
    """Record where a file opened by path lies (uploads and samples are found without it)."""
    if loaded.origin != "path":
        return
    with _lock:
        known = _read(paths)
        known.pop(loaded.sha256, None)
        known[loaded.sha256] = str(loaded.path)
        while len(known) > MAX_REMEMBERED:
            known.pop(next(iter(known)))
        fd, tmp = tempfile.mkstemp(prefix=".opened-", dir=paths.root)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(known, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, _registry(paths))


def _matches(p: Path, sha256: str) -> Loaded | None:
    if not p.is_file():
        return None
    try:
        d = file_digests(p)
    except OSError:
        return None
    if d.sha256 != sha256:
        return None
    return Loaded(p.resolve(), d.sha256, p.name, "path", d.size, d.md5)


def find(paths: DataPaths, sha256: str, rules: access.Access) -> Loaded | None:
    """The stored or known file with this sha256, or None (an unknown or malformed value)."""
    if not SHA256.fullmatch(sha256 or ""):
        return None
    name = cases.load(paths.cases, sha256).name
    for p in sorted(paths.uploads.glob(f"{sha256[:16]}-*")):
        found = _matches(p, sha256)
        if found is not None:
            return Loaded(found.path, sha256, name or p.name[17:], "upload", found.size, found.md5)
    for p in sample_clips():
        if p.stat().st_size and (found := _matches(p, sha256)) is not None:
            return Loaded(found.path, sha256, p.name, "sample", found.size, found.md5)
    where = _read(paths).get(sha256)
    if where:
        try:
            p = access.resolve(where, rules)
        except (access.PathNotAllowedError, OSError, ValueError):
            return None
        found = _matches(p, sha256)
        if found is not None:
            return Loaded(found.path, sha256, name or p.name, "path", found.size, found.md5)
    return None
