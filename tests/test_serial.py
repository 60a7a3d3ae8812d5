"""JSON round trip of result dataclasses: nested, optional, tuples; unknown keys ignored, missing keys default."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from verify import serial


@dataclass(frozen=True)
class Inner:
    name: str
    value: float = 0.0


@dataclass(frozen=True)
class Outer:
    items: tuple[Inner, ...] = ()
    best: Inner | None = None
    tags: dict[str, str] = field(default_factory=dict)
    numbers: list[int] = field(default_factory=list)
    schema_version: int = 1


texts = st.text(max_size=40)
inners = st.builds(Inner, name=texts, value=st.floats(allow_nan=False, allow_infinity=False))


@given(
    st.builds(
        Outer,
        items=st.lists(inners, max_size=4).map(tuple),
        best=st.none() | inners,
        tags=st.dictionaries(texts, texts, max_size=4),
        numbers=st.lists(st.integers(), max_size=5),
    )
)
def test_round_trip(obj: Outer) -> None:
    assert serial.loads(Outer, serial.dumps(obj)) == obj


def test_old_and_new_files_load() -> None:
    old = {"items": [{"name": "a"}]}  # written before `best`, `tags` existed
    assert serial.from_jsonable(Outer, old) == Outer(items=(Inner("a"),))
    newer = {"items": [], "added_later": 3, "schema_version": 2}
    assert serial.from_jsonable(Outer, newer).schema_version == 2


def test_numpy_and_nan_become_plain_json() -> None:
    data = serial.to_jsonable({"a": np.arange(3), "b": np.float32(1.5), "c": float("nan")})
    assert json.loads(json.dumps(data)) == {"a": [0, 1, 2], "b": 1.5, "c": None}
