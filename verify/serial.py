"""JSON round-trip for the result dataclasses.

Results are frozen dataclasses with a ``schema_version``. ``to_jsonable`` turns a
dataclass (and nested dataclasses, tuples, numpy scalars and arrays, paths and
enums) into plain JSON values; ``from_jsonable`` rebuilds a dataclass from them,
using the type hints, and ignores keys it does not know (so older readers load
newer files), while missing keys take the field defaults (so newer readers load
older files).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def _build(tp: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            return _build(non_none[0], data)
        for candidate in non_none:  # first that fits
            if dataclasses.is_dataclass(candidate) and isinstance(data, dict):
                return _build(candidate, data)
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp) and isinstance(data, dict):
        return from_jsonable(tp, data)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in data)
        if args:
            return tuple(_build(a, v) for a, v in zip(args, data, strict=False))
        return tuple(data)
    if origin is list:
        return [_build(args[0], v) for v in data] if args else list(data)
    if origin is dict:
        vt = args[1] if len(args) == 2 else Any
        return {k: _build(vt, v) for k, v in data.items()}
    if tp is float and isinstance(data, int):
        return float(data)
    return data


def from_jsonable(cls: type[T], data: dict[str, Any]) -> T:
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data and f.init:
            kwargs[f.name] = _build(hints.get(f.name, Any), data[f.name])
    return cls(**kwargs)


def dumps(value: Any, **kwargs: Any) -> str:
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(to_jsonable(value), **kwargs)


def loads(cls: type[T], text: str) -> T:
    return from_jsonable(cls, json.loads(text))
