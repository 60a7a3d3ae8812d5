"""Where the workbench keeps its files, and the settings read from the environment.

Only the UI (and the CLI) read the environment. The data folder is ``$VERIFY_DATA``, else
``$XDG_DATA_HOME/verify``, else ``~/.local/share/verify``. It holds:

* ``library.db``          the analyst's own known-footage library (never overwritten);
* ``sample-library.db``   the demo library built from ``samples/`` on first run;
* ``uploads/``            copies of uploaded files, named by sha256 (originals are never altered);
* ``links/``              files fetched from a link (Link tab), each with its site record and custody;
* ``previews/``           small H.264 previews of clips the browser cannot play;
* ``cases/``              notes and custody log per file (``<sha256>.json``);
* ``exports/``            reports, case files and evidence videos made here.

Settings (environment variables):

* ``VERIFY_DATA``          the data folder (above);
* ``VERIFY_ALLOWED_DIRS``  folders the Path tab and *Add a folder* may read (``ui.access``): needed
  when the server listens on a non-loopback address, optional otherwise;
* ``VERIFY_UPLOAD_CAP``    how much the ``uploads/`` folder may hold (``10G`` by default; ``500M``,
  ``2T``, or bytes); the oldest uploads not attached to a case are removed first (``ui.uploads``).
* ``VERIFY_OCR``           ``0`` turns off reading the text on screen in the background (on by default).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("verify")

APP_ROOT = Path(__file__).resolve().parent.parent
SAMPLES = APP_ROOT / "samples"
SAMPLE_CATALOGUE = SAMPLES / "library.json"
#: The clip the workbench opens on the first time (the motivating example).
FIRST_CLIP = SAMPLES / "viral" / "smoke-plume-claim.mp4"

UPLOAD_CAP_ENV = "VERIFY_UPLOAD_CAP"
#: Default storage cap of ``uploads/``: five uploads of the largest size the page accepts (2 GB).
DEFAULT_UPLOAD_CAP = 10 << 30
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def user_library(self) -> Path:
        return self.root / "library.db"

    @property
    def sample_library(self) -> Path:
        return self.root / "sample-library.db"

    @property
    def uploads(self) -> Path:
        return self._dir("uploads")

    @property
    def links(self) -> Path:
        return self._dir("links")

    @property
    def previews(self) -> Path:
        return self._dir("previews")

    @property
    def cases(self) -> Path:
        return self._dir("cases")

    @property
    def exports(self) -> Path:
        return self._dir("exports")

    def _dir(self, name: str) -> Path:
        p = self.root / name
        p.mkdir(parents=True, exist_ok=True)
        return p


def data_root() -> Path:
    env = os.environ.get("VERIFY_DATA")
    if env:
        root = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".local" / "share") / "verify"
    root.mkdir(parents=True, exist_ok=True)
    return root


def paths() -> DataPaths:
    return DataPaths(data_root())


def parse_size(text: str) -> int:
    """``500M`` / ``10G`` / ``1048576`` (bytes) → bytes; ``ValueError`` otherwise."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"not a size: {text!r} (use e.g. 500M, 10G or a number of bytes)")
    return int(float(m.group(1)) * 1024 ** "bkmgt".index((m.group(2) or "b").lower()))


def ocr_enabled() -> bool:
    """Whether the text on screen is read in the background (``$VERIFY_OCR``, on unless ``0``/``off``)."""
    return os.environ.get("VERIFY_OCR", "1").strip().lower() not in ("0", "off", "no", "false")


def upload_cap() -> int:
    """The storage cap of ``uploads/`` in bytes (``$VERIFY_UPLOAD_CAP``, else 10 GB)."""
    raw = os.environ.get(UPLOAD_CAP_ENV, "").strip()
    if not raw:
        return DEFAULT_UPLOAD_CAP
    try:
        return parse_size(raw)
    except ValueError as exc:
        log.warning("%s=%r ignored (%s): using the default of 10G", UPLOAD_CAP_ENV, raw, exc)
        return DEFAULT_UPLOAD_CAP
