"""The case of one file on this machine: the analyst's notes and its chain-of-custody log.

Stored as JSON in the data folder (``cases/<sha256>.json``), written atomically, so notes survive
reloads and restarts and are what the export writes. The notes are ``verify.notes.Notes``; the
log entries are ``verify.report.CustodyEntry`` (append-only through this module).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verify.notes import Notes, NotesError, utc_now
from verify.report import CustodyEntry, CustodyLog
from verify.serial import to_jsonable

SCHEMA_VERSION = 1
_lock = threading.Lock()


@dataclass
class Case:
    sha256: str
    name: str = ""
    notes: Notes = field(default_factory=Notes)
    custody: list[CustodyEntry] = field(default_factory=list)
    opened_at: str = ""

    def custody_log(self) -> CustodyLog:
        return CustodyLog(list(self.custody))


def _path(cases_dir: Path, sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("a case is named by the file's sha256")
    return cases_dir / f"{sha256}.json"


def load(cases_dir: Path, sha256: str, name: str = "") -> Case:
    p = _path(cases_dir, sha256)
    if not p.exists():
        return Case(sha256, name=name, opened_at=utc_now())
    data: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    try:
        notes = Notes.from_dict(data.get("notes") or {})
    except NotesError:
        notes = Notes()
    custody = [
        CustodyEntry(
            step=e.get("step", ""), detail=e.get("detail", ""), at=e.get("at", ""), sha256=e.get("sha256", "")
        )
        for e in data.get("custody", [])
        if isinstance(e, dict)
    ]
    return Case(sha256, data.get("name") or name, notes, custody, data.get("opened_at", ""))


def save(cases_dir: Path, case: Case) -> None:
    p = _path(cases_dir, case.sha256)
    body = {
        "schema_version": SCHEMA_VERSION,
        "sha256": case.sha256,
        "name": case.name,
        "opened_at": case.opened_at,
        "notes": case.notes.to_dict(),
        "custody": to_jsonable(case.custody),
    }
    with _lock:
        fd, tmp = tempfile.mkstemp(prefix=".case-", dir=cases_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, ensure_ascii=False, indent=2)
        os.replace(tmp, p)


def log(
    cases_dir: Path, sha256: str, step: str, detail: str = "", *, name: str = "", digest: str = ""
) -> Case:
    """Append one custody entry (UTC now) and save."""
    case = load(cases_dir, sha256, name)
    case.custody.append(CustodyEntry(step=step, detail=detail, at=utc_now(), sha256=digest))
    save(cases_dir, case)
    return case


def save_notes(cases_dir: Path, sha256: str, notes: Notes, *, name: str = "") -> Case:
    case = load(cases_dir, sha256, name)
    case.notes = notes
    case.custody.append(
        CustodyEntry(
            step="notes edited",
            detail=f"verdict {notes.verdict}; by {notes.analyst or 'analyst'}",
            at=utc_now(),
        )
    )
    save(cases_dir, case)
    return case
