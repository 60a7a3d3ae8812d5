"""The analyst's verification notes: one note per check, and an overall verdict.

The checks follow the verification guides (First Draft's pillars): provenance,
source, date, location and motivation. Each gets a status (``verified``,
``false``, ``misleading``, ``unverified``), a confidence (``low``, ``medium``,
``high``) and free text. Notes are plain values: :meth:`Notes.with_check` and
:meth:`Notes.with_verdict` return new notes.

Notes come in from the workbench, or from a file given to the CLI
(``--notes NOTES.json`` in the shape of :meth:`Notes.to_dict`, or ``NOTES.md``)::

    # Verdict: false
    Recycled footage from 2019, not last night's storm.

    ## Provenance
    status: false
    confidence: high
    Matches the 2019 agency clip (match 1).

    ## Date
    status: false
    ...
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import NotesError
from .serial import from_jsonable, to_jsonable

SCHEMA_VERSION = 1
CHECKS: tuple[str, ...] = ("provenance", "source", "date", "location", "motivation")
STATUSES: tuple[str, ...] = ("verified", "false", "misleading", "unverified")
CONFIDENCES: tuple[str, ...] = ("low", "medium", "high")


def utc_now() -> str:
    """The current UTC time as ISO 8601 with a ``Z`` (second precision)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _check_value(name: str, value: str, allowed: tuple[str, ...]) -> str:
    v = str(value).strip().lower()
    if v not in allowed:
        raise NotesError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return v


@dataclass(frozen=True)
class CheckNote:
    """What the analyst found for one check."""

    check: str
    status: str = "unverified"
    confidence: str = "low"
    text: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "check", _check_value("check", self.check, CHECKS))
        object.__setattr__(self, "status", _check_value("status", self.status, STATUSES))
        object.__setattr__(self, "confidence", _check_value("confidence", self.confidence, CONFIDENCES))


def _default_checks() -> tuple[CheckNote, ...]:
    return tuple(CheckNote(c) for c in CHECKS)


@dataclass(frozen=True)
class Notes:
    """All of the analyst's notes on one file."""

    checks: tuple[CheckNote, ...] = dataclasses.field(default_factory=_default_checks)
    verdict: str = "unverified"
    summary: str = ""
    analyst: str = ""
    updated_at: str = ""
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", _check_value("verdict", self.verdict, STATUSES))
        by_name = {n.check: n for n in self.checks}
        # always all five checks, in the canonical order
        object.__setattr__(self, "checks", tuple(by_name.get(c, CheckNote(c)) for c in CHECKS))

    def check(self, name: str) -> CheckNote:
        name = _check_value("check", name, CHECKS)
        return next(n for n in self.checks if n.check == name)

    def with_check(
        self, name: str, *, status: str | None = None, confidence: str | None = None, text: str | None = None
    ) -> Notes:
        old = self.check(name)
        new = CheckNote(
            old.check,
            status if status is not None else old.status,
            confidence if confidence is not None else old.confidence,
            text if text is not None else old.text,
        )
        checks = tuple(new if n.check == old.check else n for n in self.checks)
        return dataclasses.replace(self, checks=checks, updated_at=utc_now())

    def with_verdict(self, verdict: str, summary: str | None = None) -> Notes:
        return dataclasses.replace(
            self, verdict=verdict, summary=self.summary if summary is None else summary, updated_at=utc_now()
        )

    @property
    def is_empty(self) -> bool:
        return self == Notes(analyst=self.analyst, updated_at=self.updated_at)

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notes:
        if not isinstance(data, dict):
            raise NotesError("notes must be a JSON object")
        data = dict(data)
        checks = data.get("checks", [])
        if isinstance(checks, dict):  # {"provenance": {...}} is accepted too
            data["checks"] = [{"check": k, **v} for k, v in checks.items()]
        try:
            return from_jsonable(cls, data)
        except (TypeError, KeyError) as exc:
            raise NotesError(f"notes do not have the expected fields ({exc})") from exc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_markdown(self) -> str:
        """The notes in the Markdown format :func:`parse_markdown` reads."""
        lines = [f"# Verdict: {self.verdict}"]
        if self.analyst:
            lines.append(f"analyst: {self.analyst}")
        if self.summary:
            lines += ["", self.summary]
        for n in self.checks:
            lines += ["", f"## {n.check.title()}", f"status: {n.status}", f"confidence: {n.confidence}"]
            if n.text:
                lines.append(n.text)
        return "\n".join(lines) + "\n"


_HEADING = re.compile(r"^(#{1,2})\s+(.*?)\s*$")
_FIELD = re.compile(r"^(status|confidence|analyst)\s*:\s*(\S.*?)\s*$", re.IGNORECASE)


def parse_markdown(text: str) -> Notes:
    """Notes from the Markdown format shown in the module docstring."""
    verdict, analyst = "unverified", ""
    sections: dict[str, dict[str, Any]] = {}
    summary: list[str] = []
    current: dict[str, Any] | None = None
    for raw in text.splitlines():
        m = _HEADING.match(raw)
        if m:
            title = m.group(2)
            if m.group(1) == "#" or title.lower().startswith("verdict"):
                head, _, rest = title.partition(":")
                if head.strip().lower() == "verdict" and rest.strip():
                    verdict = rest.strip()
                current = None
                continue
            name = title.lower().strip()
            if name not in CHECKS:
                raise NotesError(f"unknown check heading {title!r}; use one of {', '.join(CHECKS)}")
            current = sections.setdefault(name, {"check": name, "text": []})
            continue
        f = _FIELD.match(raw)
        if f:
            key, value = f.group(1).lower(), f.group(2)
            if key == "analyst":
                analyst = value
            elif current is not None:
                current[key] = value
            elif key == "status":
                verdict = value
            continue
        (current["text"] if current is not None else summary).append(raw)
    checks = [
        CheckNote(
            name,
            status=s.get("status", "unverified"),
            confidence=s.get("confidence", "low"),
            text="\n".join(s["text"]).strip(),
        )
        for name, s in sections.items()
    ]
    return Notes(
        checks=tuple(checks),
        verdict=verdict,
        summary="\n".join(summary).strip(),
        analyst=analyst,
        updated_at=utc_now(),
    )


def load_notes(path: str | Path) -> Notes:
    """Read notes from ``.json`` or ``.md``/``.markdown``/``.txt``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise NotesError("no such notes file", path=p, hint="Check the path of --notes.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise NotesError(f"cannot read the notes file ({exc})", path=p) from exc
    try:
        if p.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise NotesError(f"not valid JSON ({exc})") from exc
            return Notes.from_dict(data)
        return parse_markdown(text)
    except NotesError as exc:
        raise NotesError(exc.message, path=p) from exc
