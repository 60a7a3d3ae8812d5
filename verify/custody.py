"""Chain of custody: an append-only log of what was done to a file, with UTC times.

Steps used by verify: ``received``, ``hashed``, ``probed``, ``frames extracted``,
``matched``, ``notes edited``, ``exported``, ``case saved``, ``case opened``,
``evidence rendered``, ``sent to reverse search engine``. Entries can only be
appended (``log``); there is no way to edit or remove one through this API.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .notes import utc_now


@dataclass(frozen=True)
class CustodyEntry:
    step: str
    detail: str = ""
    at: str = ""  # UTC, ISO 8601 with Z
    sha256: str = ""  # digest of what the step produced or read, when there is one


@dataclass(eq=True)
class CustodyLog:
    """Append-only list of :class:`CustodyEntry`."""

    entries: list[CustodyEntry] = field(default_factory=list)

    def log(self, step: str, detail: str = "", *, sha256: str = "") -> CustodyEntry:
        entry = CustodyEntry(step=step, detail=detail, at=utc_now(), sha256=sha256)
        self.entries.append(entry)
        return entry

    def copy(self) -> CustodyLog:
        return CustodyLog(list(self.entries))

    def steps(self) -> list[str]:
        return [e.step for e in self.entries]

    def __iter__(self) -> Iterator[CustodyEntry]:
        return iter(tuple(self.entries))

    def __len__(self) -> int:
        return len(self.entries)
