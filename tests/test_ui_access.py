"""ui.access: which paths the workbench may read (real files, real symlinks; no server needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import media
from ui import access
from ui.access import Access, PathNotAllowedError


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.7", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("unix:///run/verify.sock", True),
        ("", False),
        (None, False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("workbench.example.org", False),
    ],
)
def test_loopback_addresses(address: str | None, loopback: bool) -> None:
    assert access.is_loopback(address) is loopback


def test_allow_list_is_resolved_and_ignores_relative_entries(tmp_path: Path) -> None:
    real = tmp_path / "clips"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    value = os.pathsep.join([str(link), "relative/dir", "", str(real)])
    assert access.allowed_dirs(value) == (real.resolve(),)


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    allowed = tmp_path / "allowed"
    outside = tmp_path / "outside"
    (allowed / "sub").mkdir(parents=True)
    outside.mkdir()
    inside_clip = media.make_video(allowed / "sub" / "in.mp4", seconds=0.5)
    secret = outside / "secret.mp4"
    secret.write_bytes(inside_clip.read_bytes())
    (allowed / "escape.mp4").symlink_to(secret)
    (allowed / "outdir").symlink_to(outside, target_is_directory=True)
    return {"allowed": allowed, "outside": outside, "in": inside_clip, "secret": secret}


def remote(allowed: tuple[Path, ...] = ()) -> Access:
    return Access("0.0.0.0", False, tuple(p.resolve() for p in allowed))


def test_without_allow_list_a_remote_server_reads_no_path(tree: dict[str, Path]) -> None:
    rules = remote()
    assert not rules.paths_enabled and "VERIFY_ALLOWED_DIRS" in rules.describe()
    with pytest.raises(PathNotAllowedError):
        access.resolve(str(tree["in"]), rules)


def test_loopback_without_allow_list_reads_any_path(tree: dict[str, Path]) -> None:
    rules = Access("127.0.0.1", True)
    assert access.resolve(str(tree["secret"]), rules) == tree["secret"]


def test_inside_the_allow_list_paths_are_resolved(tree: dict[str, Path]) -> None:
    rules = remote((tree["allowed"],))
    assert access.resolve(str(tree["in"]), rules) == tree["in"].resolve()
    dotted = f"{tree['allowed']}/sub/../sub/in.mp4"
    assert access.resolve(dotted, rules) == tree["in"].resolve()


def test_refusals_outside_read_the_same_whatever_the_path_is(tree: dict[str, Path]) -> None:
    rules = remote((tree["allowed"],))
    attempts = {
        "missing": "/nonexistent/file.mp4",
        "existing file": str(tree["secret"]),
        "folder": str(tree["outside"]),
        "system file": "/etc/passwd",
        "dot-dot": f"{tree['allowed']}/../outside/secret.mp4",
        "symlink out": str(tree["allowed"] / "escape.mp4"),
        "through a symlinked folder": str(tree["allowed"] / "outdir" / "secret.mp4"),
        "relative": "outside/secret.mp4",
    }
    messages = {}
    for what, raw in attempts.items():
        with pytest.raises(PathNotAllowedError) as info:
            access.resolve(raw, rules)
        messages[what] = str(info.value).replace(raw, "<path>")
    assert len(set(messages.values())) == 1, messages  # no oracle: one message for every case
    text = next(iter(messages.values()))
    assert "secret" not in text and "no such" not in text.lower() and "folder" in text


def test_a_folder_add_skips_files_that_resolve_outside(tree: dict[str, Path]) -> None:
    rules = remote((tree["allowed"],))
    found = list(access.media_in(access.resolve(str(tree["allowed"]), rules), rules))
    assert found == [tree["in"].resolve()]  # escape.mp4 (symlink out) and outdir/ are not there
