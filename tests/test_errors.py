"""The exception tree: one root, builtins mixed in, one-line messages that say what to do."""

from __future__ import annotations

import inspect

import pytest

from verify import errors


def all_error_classes() -> list[type[errors.VerifyError]]:
    return [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, Exception) and c.__module__ == errors.__name__
    ]


def test_every_error_is_rooted_at_verify_error() -> None:
    classes = all_error_classes()
    assert len(classes) > 15
    for cls in classes:
        assert issubclass(cls, errors.VerifyError), cls


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.MediaNotFoundError, FileNotFoundError),
        (errors.EmptyFileError, ValueError),
        (errors.NotMediaError, ValueError),
        (errors.ReferenceNotFoundError, KeyError),
        (errors.UnsafePathError, ValueError),
    ],
)
def test_builtins_are_mixed_in(cls: type[errors.VerifyError], builtin: type[Exception]) -> None:
    with pytest.raises(builtin):
        raise cls("boom", path="x.mp4")


def test_message_names_file_says_what_to_do_and_is_one_line() -> None:
    exc = errors.TruncatedMediaError("moov atom not found\nsecond line", path="/tmp/clip.mp4")
    text = str(exc)
    assert text.startswith("/tmp/clip.mp4: moov atom not found")
    assert "complete copy" in text  # the hint
    assert "\n" not in text
    assert exc.to_dict()["stage"] == "media"
    # KeyError would quote its message; ours reads like the others
    assert not str(errors.ReferenceNotFoundError("no reference 7")).startswith("'")


def test_every_user_facing_error_has_a_hint() -> None:
    leaves = [c for c in all_error_classes() if not c.__subclasses__()]
    without = [
        c.__name__
        for c in leaves
        if not c.default_hint and c not in (errors.MatchingError, errors.ConfigError, errors.ReportError)
    ]
    assert without == []
