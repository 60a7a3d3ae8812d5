"""Which files the workbench may read where they lie: any on the analyst's own machine, an allow-list otherwise.

The sidebar's *Path* tab and Library → *Add a folder* read files in place. With the server bound to
a loopback address (``server.address = "127.0.0.1"`` in ``.streamlit/config.toml``, the default)
only this machine can reach the page, so they read whatever the analyst names. Bound to any other
address, anyone who reaches the port could use them to read the server's files (``/etc/shadow``'s
size and sha256, any video through a case file with the original included), so both are **off**
unless ``VERIFY_ALLOWED_DIRS`` names the folders they may read (separated by ``os.pathsep``, ``:``
on Linux and macOS). When it is set, the allow-list applies on loopback too.

Inside an allow-list a path is resolved (``~``, symlinks, ``..``) before it is checked, and the
resolved path is the one that is opened. A path outside gets the same one-line refusal whether it
exists, is a folder or is nothing at all, so the page cannot be used to probe the file system.
Uploads and the bundled samples are not affected.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from verify.errors import VerifyError

ENV = "VERIFY_ALLOWED_DIRS"


class PathNotAllowedError(VerifyError, PermissionError):
    """A path the workbench may not read (outside the allow-list, or paths are off)."""

    stage = "access"


@dataclass(frozen=True)
class Access:
    """The server's address and the allow-list, as configured when the page runs."""

    address: str  # as configured; "" means Streamlit's default, every interface
    loopback: bool
    allowed: tuple[Path, ...] = ()  # resolved folders; empty: no allow-list

    @property
    def paths_enabled(self) -> bool:
        """May the analyst name files and folders on the server at all?"""
        return self.loopback or bool(self.allowed)

    def describe(self) -> str:
        """One sentence for the page on what paths may be opened."""
        if self.allowed:
            return "Paths are limited to the allowed folders: " + ", ".join(map(str, self.allowed)) + "."
        if self.loopback:
            return "Any file this account can read may be opened by path."
        return (
            f"This workbench listens on {self.address or 'every network interface'}, not only on this machine, "
            f"so opening files by path is off. Set {ENV} to the folders it may read to turn it on."
        )


def is_loopback(address: str | None) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost, a Unix socket)."""
    addr = (address or "").strip()
    if not addr:
        return False  # Streamlit's default binds every interface
    if addr.startswith("unix://") or addr.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(addr.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: whatever it resolves to, it is not known to be local


def allowed_dirs(value: str | None = None) -> tuple[Path, ...]:
    """The allow-list from ``VERIFY_ALLOWED_DIRS`` (or ``value``), resolved; relative entries are ignored."""
    raw = os.environ.get(ENV, "") if value is None else value
    out: list[Path] = []
    for part in raw.split(os.pathsep):
        part = part.strip()
        if part and Path(part).expanduser().is_absolute():
            resolved = Path(os.path.realpath(Path(part).expanduser()))
            if resolved not in out:
                out.append(resolved)
    return tuple(out)


def current() -> Access:
    """The access rules of the running server (its configured address and the environment)."""
    import streamlit as st

    address = str(st.get_option("server.address") or "")
    return Access(address, is_loopback(address), allowed_dirs())


def _refuse(raw: str, access: Access) -> PathNotAllowedError:
    if not access.paths_enabled:
        return PathNotAllowedError(
            "opening files by path is off on this workbench",
            hint=f"It is reachable from other machines; whoever runs it can allow folders with {ENV}.",
        )
    return PathNotAllowedError(
        f"{raw}: not inside the folders this workbench may read",
        hint=f"Allowed: {', '.join(map(str, access.allowed))} (set by {ENV}).",
    )


def resolve(raw: str, access: Access) -> Path:
    """The path to open for what the analyst typed; raises :class:`PathNotAllowedError` outside the rules.

    Without an allow-list (loopback) the path is only expanded (``~``). With one, it must be absolute,
    and it is resolved before the check; the resolved path is returned. The refusal never depends
    on whether the path exists or what it is.
    """
    if not access.paths_enabled:
        raise _refuse(raw, access)
    path = Path(raw).expanduser()
    if not access.allowed:
        return path
    if not path.is_absolute():
        raise _refuse(raw, access)
    try:
        real = Path(os.path.realpath(path))
    except (OSError, RuntimeError, ValueError):
        raise _refuse(raw, access) from None
    if not any(real == d or real.is_relative_to(d) for d in access.allowed):
        raise _refuse(raw, access)
    return real


def media_in(folder: Path, access: Access) -> Iterator[Path]:
    """Every media file under ``folder`` (hidden ones skipped) whose resolved path is allowed.

    ``folder`` has passed :func:`resolve`. Symlinked folders are not followed, and a symlinked file
    that points out of the allow-list is skipped, as if it were not there.
    """
    from verify.library.ingest import is_media

    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            try:
                path = resolve(str(Path(root) / name), access)
            except PathNotAllowedError:
                continue
            if path.is_file() and is_media(path):
                yield path
