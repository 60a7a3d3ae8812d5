"""C2PA Content Credentials, read with c2pa-python (offline: no remote manifests).

:func:`read_c2pa` never raises: a file without credentials gives state
``"none"``; a format the C2PA reader does not handle gives ``"unsupported"``;
a damaged manifest or asset gives ``"error"`` with the reader's message. When a
manifest is present, ``state`` is the reader's validation state (``Valid``,
``Invalid``, ``Trusted``) and the issuer, claim generator and actions of the
active manifest are lifted out.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .c2pa_marker import has_embedded_manifest

log = logging.getLogger("verify")


@dataclass(frozen=True)
class C2paAction:
    action: str
    software_agent: str | None = None
    when: str | None = None
    digital_source_type: str | None = None


@dataclass(frozen=True)
class C2paInfo:
    """Summary of a file's Content Credentials."""

    schema_version: int = 1
    state: str = "none"  # none | unsupported | error | Valid | Invalid | Trusted | ...
    message: str | None = None
    issuer: str | None = None
    signed_at: str | None = None
    claim_generator: str | None = None
    title: str | None = None
    actions: tuple[C2paAction, ...] = ()
    validation_errors: tuple[str, ...] = ()
    manifest_count: int = 0

    @property
    def present(self) -> bool:
        return self.state not in ("none", "unsupported", "error")


def _settings_context() -> Any:
    import c2pa

    settings = c2pa.Settings.from_dict({"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}})
    return c2pa.Context(settings)


def _generator(manifest: dict[str, Any]) -> str | None:
    gen = manifest.get("claim_generator")
    if gen:
        return str(gen)
    info = manifest.get("claim_generator_info") or []
    parts = [
        " ".join(str(i.get(k, "")) for k in ("name", "version")).strip() for i in info if isinstance(i, dict)
    ]
    return ", ".join(p for p in parts if p) or None


def _actions(manifest: dict[str, Any]) -> tuple[C2paAction, ...]:
    out: list[C2paAction] = []
    for assertion in manifest.get("assertions") or []:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for act in (assertion.get("data") or {}).get("actions") or []:
            agent = act.get("softwareAgent")
            if isinstance(agent, dict):
                agent = " ".join(str(agent.get(k, "")) for k in ("name", "version")).strip()
            out.append(
                C2paAction(
                    action=str(act.get("action", "")),
                    software_agent=str(agent) if agent else None,
                    when=act.get("when"),
                    digital_source_type=act.get("digitalSourceType"),
                )
            )
    return tuple(out)


def _validation_errors(store: dict[str, Any]) -> tuple[str, ...]:
    errs: list[str] = []
    for item in store.get("validation_status") or []:
        errs.append(f"{item.get('code', '')}: {item.get('explanation', '')}".strip(": "))
    results = store.get("validation_results") or {}
    active = results.get("activeManifest") or {}
    for item in active.get("failure") or []:
        errs.append(f"{item.get('code', '')}: {item.get('explanation', '')}".strip(": "))
    return tuple(dict.fromkeys(errs))


def interpret_store(store: dict[str, Any], state: str | None) -> C2paInfo:
    """A :class:`C2paInfo` from the reader's manifest-store JSON."""
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest") or "") or {}
    sig = active.get("signature_info") or {}
    return C2paInfo(
        state=state or "present",
        issuer=sig.get("issuer") or sig.get("common_name"),
        signed_at=sig.get("time"),
        claim_generator=_generator(active),
        title=active.get("title"),
        actions=_actions(active),
        validation_errors=_validation_errors(store),
        manifest_count=len(manifests),
    )


def read_c2pa(path: Path, mime: str | None = None, head: bytes = b"") -> C2paInfo:
    """Read Content Credentials from ``path`` (``mime`` from content sniffing, if known).

    ``head`` (the file's first bytes) lets a file whose structure shows no embedded manifest be
    answered without the C2PA reader, which reads the whole file (see :mod:`verify.c2pa_marker`)."""
    if head and has_embedded_manifest(path, head) is False:
        return C2paInfo(state="none")
    try:
        import c2pa
    except ImportError as exc:  # pragma: no cover - c2pa-python is a dependency
        return C2paInfo(state="error", message=f"c2pa-python is not installed ({exc})")
    reader = None
    try:
        ctx = _settings_context()
        if mime and mime in c2pa.Reader.get_supported_mime_types():
            with open(path, "rb") as fh:
                reader = c2pa.Reader.try_create(mime, fh, context=ctx)
                return _from_reader(reader)
        reader = c2pa.Reader.try_create(str(path), context=ctx)
        return _from_reader(reader)
    except c2pa.C2paError as exc:
        name = type(exc).__name__
        if "NotSupported" in name:
            return C2paInfo(state="unsupported", message="the C2PA reader does not handle this format")
        log.debug("c2pa error on %s: %s", path, exc)
        return C2paInfo(state="error", message=f"{name.lstrip('_').removeprefix('C2pa')}: {exc}")
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        return C2paInfo(state="error", message=f"{type(exc).__name__}: {exc}")


def _from_reader(reader: Any) -> C2paInfo:
    if reader is None:
        return C2paInfo(state="none")
    try:
        store = json.loads(reader.json())
        return interpret_store(store, reader.get_validation_state())
    finally:
        reader.close()
