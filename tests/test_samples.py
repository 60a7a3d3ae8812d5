"""The bundled sample library: rebuilt when the catalogue, the clips or where they lie change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ui import samples
from ui.config import SAMPLES, DataPaths


@pytest.mark.slow
def test_a_library_built_from_another_checkout_is_not_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other-checkout" / "samples"
    shutil.copytree(SAMPLES, other, ignore=shutil.ignore_patterns("build"))
    data = DataPaths(tmp_path / "data")
    data.root.mkdir()
    monkeypatch.setattr(samples, "SAMPLES", other)
    monkeypatch.setattr(samples, "SAMPLE_CATALOGUE", other / "library.json")
    samples.build(data)  # built by the other checkout, pointing at its files
    from verify.library import Library

    with Library(data.sample_library, create=False) as lib:
        assert all(r.path.startswith(str(other.resolve())) for r in lib.references())
    assert samples.is_current(data)
    shutil.rmtree(other.parent)  # that checkout is gone
    monkeypatch.setattr(samples, "SAMPLES", SAMPLES)
    monkeypatch.setattr(samples, "SAMPLE_CATALOGUE", SAMPLES / "library.json")
    assert not samples.is_current(data)  # so this checkout rebuilds it from its own clips
    samples.build(data)
    with Library(data.sample_library, create=False) as lib:
        assert lib.references() and all(Path(r.path).is_file() for r in lib.references())
