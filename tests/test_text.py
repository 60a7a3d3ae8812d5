"""Untrusted strings are neutralised for display: escapes visible, huge values cut with a note."""

from __future__ import annotations

from verify.text import has_control_chars, safe_text


def test_terminal_escapes_and_controls_are_visible_not_active() -> None:
    shown = safe_text("red\x1b[31mALERT\x07\x00 end")
    assert "\x1b" not in shown and "\x07" not in shown and "\x00" not in shown
    assert "^[[31mALERT" in shown
    assert has_control_chars("a\x1bb") and not has_control_chars("plain text")


def test_bidi_override_is_shown() -> None:
    assert "<U+202E>" in safe_text("invoice\u202egnp.exe")


def test_newlines_kept_only_when_asked() -> None:
    assert safe_text("a\nb") == "a^Jb"
    assert safe_text("a\nb", keep_newlines=True) == "a\nb"


def test_huge_values_are_truncated_with_a_note() -> None:
    shown = safe_text("x" * 20_000, limit=100)
    assert shown.startswith("x" * 100)
    assert "19,900 more characters" in shown
    assert len(shown) < 200


def test_ordinary_unicode_is_untouched() -> None:
    assert safe_text("Zürich 東京 ☂") == "Zürich 東京 ☂"
