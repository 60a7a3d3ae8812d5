"""Is a record rebuilt from untrusted JSON made of the types its dataclasses declare?

``verify.serial.from_jsonable`` builds dataclasses from JSON without checking leaf types (a
``size`` can arrive as a string, a ``name`` as a list). :func:`type_problem` walks a record
against its type hints and names the first field that does not fit, so that an opened case
never hands a ``dict`` where a ``str`` is printed.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from functools import cache
from typing import Any


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _kind(value: Any) -> str:
    return type(value).__name__


def type_problem(value: Any, tp: Any, where: str) -> str | None:
    """None when ``value`` fits type ``tp``, else a sentence naming where it does not."""
    if tp is Any or tp is object:
        return None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        problems = [type_problem(value, a, where) for a in args if a is not type(None)]
        return None if any(p is None for p in problems) else problems[0]
    if origin is typing.Literal:
        return None if value in args else f"{where} is {value!r}, not one of {args}"
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, tp):
            return f"{where} is a {_kind(value)}, not a record"
        hints = _hints(tp)
        for f in dataclasses.fields(tp):
            problem = type_problem(getattr(value, f.name), hints.get(f.name, Any), f"{where}.{f.name}")
            if problem:
                return problem
        return None
    if origin in (tuple, list):
        if not isinstance(value, (tuple, list)):
            return f"{where} is a {_kind(value)}, not a list"
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            items = list(zip(args, value))
            if len(value) != len(args):
                return f"{where} has {len(value)} items, not {len(args)}"
        else:
            item = args[0] if args else Any
            items = [(item, v) for v in value]
        for i, (t, v) in enumerate(items):
            problem = type_problem(v, t, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if origin is dict:
        if not isinstance(value, dict):
            return f"{where} is a {_kind(value)}, not an object"
        vt = args[1] if len(args) == 2 else Any
        for k, v in value.items():
            if not isinstance(k, str):
                return f"{where} has a key that is not text"
            problem = type_problem(v, vt, f"{where}.{k}")
            if problem:
                return problem
        return None
    if tp is bool:
        return None if isinstance(value, bool) else f"{where} is a {_kind(value)}, not true/false"
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"{where} is a {_kind(value)}, not a whole number"
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return None if ok else f"{where} is a {_kind(value)}, not a number"
    if isinstance(tp, type):
        return None if isinstance(value, tp) else f"{where} is a {_kind(value)}, not {tp.__name__}"
    return None


def record_problem(record: Any, where: str = "report") -> str | None:
    """:func:`type_problem` of a dataclass instance against its own class."""
    return type_problem(record, type(record), where)


__all__ = ["record_problem", "type_problem"]
