"""The chain-of-custody sidecar of a fetched file: ``<file>.custody.json``.

It holds a :class:`verify.report.custody.CustodyLog` (the same entries a case carries), the
file's name and sha256. :func:`append_custody` adds entries to an existing sidecar (never
rewrites old ones); :func:`custody_for` reads it back for a case and checks that the file is
still the one that was downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..custody import CustodyEntry, CustodyLog
from ..digest import sha256_file
from ..errors import CaseIntegrityError, SchemaVersionError, VerifyError
from ..serial import from_jsonable, to_jsonable

SCHEMA_VERSION = 1


def custody_path(media: str | Path) -> Path:
    p = Path(media)
    return p.with_name(p.name + ".custody.json")


def _read(path: Path) -> tuple[dict[str, Any], CustodyLog]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VerifyError(f"the custody record is unreadable ({exc})", path=path, stage="custody") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise VerifyError("not a verify custody record", path=path, stage="custody")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise SchemaVersionError(f"custody schema {version!r} is newer than this verify reads", path=path)
    return data, CustodyLog([from_jsonable(CustodyEntry, e) for e in data["entries"] if isinstance(e, dict)])


def append_custody(media: str | Path, entries: list[CustodyEntry], sha256: str) -> Path:
    """Add ``entries`` to the sidecar of ``media`` (created if missing); returns its path."""
    path = custody_path(media)
    log = _read(path)[1] if path.exists() else CustodyLog()
    log.entries.extend(entries)
    record = {"schema_version": SCHEMA_VERSION, "file": Path(media).name, "sha256": sha256,
              "entries": to_jsonable(log.entries)}  # fmt: skip
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def custody_for(media: str | Path, *, check: bool = True) -> CustodyLog | None:
    """The custody log fetched with ``media`` (None when it has none), to import into a case.

    With ``check`` the file is re-hashed: a file changed since it was downloaded raises
    :class:`~verify.errors.CaseIntegrityError` instead of lending it a false history.
    """
    path = custody_path(media)
    if not path.exists():
        return None
    data, log = _read(path)
    if check and data.get("sha256") and sha256_file(media) != data["sha256"]:
        raise CaseIntegrityError("the file changed after it was downloaded (sha256 differs)", path=media)
    return log


def with_download_custody(report: Any, media: str | Path) -> Any:
    """A copy of a :class:`verify.report.Report` whose custody starts with the download's entries.

    For a file fetched with ``verify get``: the case then records where and when the file came
    from before it was received. A report of a file without a sidecar is returned unchanged.
    """
    import dataclasses

    log = custody_for(media)
    if log is None:
        return report
    return dataclasses.replace(report, custody=CustodyLog([*log.entries, *report.custody.entries]))
