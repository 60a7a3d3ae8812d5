"""Where the workbench keeps its files, and the settings read from the environment.

Only the UI (and the CLI) read the environment. The data folder is ``$VERIFY_DATA``, else
``$XDG_DATA_HOME/verify``, else ``~/.local/share/verify``. It holds:

* ``library.db``          the analyst's own known-footage library (never overwritten);
* ``sample-library.db``   the demo library built from ``samples/`` on first run;
* ``uploads/``            copies of uploaded files, named by sha256 (originals are never altered);
* ``previews/``           small H.264 previews of clips the browser cannot play;
* ``cases/``              notes and custody log per file (``<sha256>.json``);
* ``exports/``            reports, case files and evidence videos made here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_ROOT = Path(__file__).resolve().parent.parent
SAMPLES = APP_ROOT / "samples"
SAMPLE_CATALOGUE = SAMPLES / "library.json"
#: The clip the workbench opens on the first time (the motivating example).
FIRST_CLIP = SAMPLES / "viral" / "smoke-plume-claim.mp4"


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
