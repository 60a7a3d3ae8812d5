"""Docs are tested like code: every CLI command has --help and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from verify.cli import cli, main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
    return paths


ALL = command_paths()


def test_every_command_group_registered() -> None:
    top = {p[0] for p in ALL}
    assert {"probe", "frames", "hash", "match", "library", "report", "case", "evidence"} <= top


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) for p in ALL])
def test_help_works_and_command_is_in_readme(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage: verify " + " ".join(path) in out
    assert f"verify {' '.join(path)}" in README, f"README does not document `verify {' '.join(path)}`"


def test_usage_error_is_one_line_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert main(["no-such-command"]) == 2
