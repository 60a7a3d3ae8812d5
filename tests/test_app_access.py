"""The workbench on a non-loopback address (AppTest, in-process): the Path tab and *Add a folder* are
off without an allow-list, with a visible warning; with one, only allowed paths open, and a refused
path reveals nothing about the file system (no size, no sha256, one message for every kind of path)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from tests import media
from tests.test_app import data, page, sample_data, shown, start  # noqa: F401  (data, sample_data: fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workbench")]


@pytest.fixture
def address() -> Iterator[None]:
    """The server option as `streamlit run app.py --server.address 0.0.0.0` would set it."""
    old = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        yield
    finally:
        st_config.set_option("server.address", old)


def texts(at: AppTest) -> str:
    parts = [x.value for x in (*at.warning, *at.error, *at.caption, *at.markdown, *at.success, *at.info)]
    return shown("\n".join(str(p) for p in parts))


def test_the_readme_config_binds_loopback() -> None:
    assert st_config.get_option("server.address") == "127.0.0.1"  # .streamlit/config.toml


@pytest.mark.usefixtures("data", "address")
def test_remote_without_allow_list_disables_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERIFY_ALLOWED_DIRS", raising=False)
    at = start()
    path_input = at.text_input(key="loader.path")
    assert path_input.disabled
    assert next(b for b in at.button if b.label == "Open file").disabled
    text = texts(at)
    assert "listens on 0.0.0.0" in text and "anyone who can reach" in text
    assert "opening files by path is off" in text and "VERIFY_ALLOWED_DIRS" in text
    at = page(at, "library")
    assert at.text_input(key="library.folder.folder").disabled
    assert next(b for b in at.button if b.label == "Add folder").disabled


@pytest.mark.usefixtures("data", "address")
def test_remote_with_allow_list_opens_only_inside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    clip = media.make_video(allowed / "inside.mp4", seconds=1.0)
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(clip.read_bytes() + b"different")
    (allowed / "link.mp4").symlink_to(secret)
    monkeypatch.setenv("VERIFY_ALLOWED_DIRS", str(allowed))
    at = start()
    assert not at.text_input(key="loader.path").disabled

    errors = {}
    for raw in (str(secret), "/etc/passwd", "/etc", "/nonexistent.mp4", str(allowed / ".." / "secret.mp4"),
                str(allowed / "link.mp4")):  # fmt: skip
        at.text_input(key="loader.path").input(raw)
        next(b for b in at.button if b.label == "Open file").click()
        at.run()
        assert not at.exception
        errors[raw] = shown(at.error[0].value).replace(raw, "<path>")
        assert at.session_state["loader.current"].path.name != secret.name
    assert len(set(errors.values())) == 1, errors
    secret_sha = hashlib.sha256(secret.read_bytes()).hexdigest()
    assert secret_sha[:16] not in texts(at) and f"{secret.stat().st_size:,}" not in texts(at)

    at.text_input(key="loader.path").input(str(allowed / "inside.mp4"))
    next(b for b in at.button if b.label == "Open file").click()
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["loader.current"].path == clip.resolve()

    at = page(at, "library")
    at.text_input(key="library.folder.folder").input("/etc")
    next(b for b in at.button if b.label == "Add folder").click()
    at.run()
    assert any("not inside the folders this workbench may read" in shown(e.value) for e in at.error)
