"""JSON from untrusted bytes, parsed only after its size, depth and element count are checked.

``json.loads`` trusts its input: 250 MB of JSON becomes gigabytes of Python objects, and a
few kilobytes of ``[[[[…`` raise ``RecursionError`` (or exhaust the stack of whatever walks
the result). :func:`loads` refuses such input *before* parsing, with an
:class:`~verify.errors.InputLimitError`:

* ``max_bytes``: the encoded size;
* ``max_depth``: how deeply arrays and objects nest;
* ``max_items``: how many arrays, objects and values (counted by their separators) it holds;

then parses it with ``NaN``/``Infinity`` refused (not JSON, and they poison arithmetic) and
returns plain values. The pre-scan runs at C speed (``bytes.replace``/``translate``/``split``):
strings are cut out first, so brackets and commas inside strings are not counted.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import InputLimitError

#: Defaults: generous for verify's own records (a report is well under 1 MB).
MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_ITEMS = 1_000_000

_DROP = bytes(b for b in range(256) if b not in b'"[]{},')


def structure(data: bytes) -> bytes:
    """The brackets and commas of JSON ``data`` that lie outside string literals.

    Invalid JSON gets an answer too (it fails later, in the parser): an unterminated string
    counts everything after its quote as structure, which can only over-count.
    """
    text = data.replace(b"\\\\", b"").replace(b'\\"', b"")  # escaped backslashes, then escaped quotes
    kept = text.translate(None, _DROP)
    return b"".join(kept.split(b'"')[0::2])  # even pieces lie outside string literals


def depth_of(outside: bytes, stop: int | None = None) -> int:
    """Deepest nesting in ``structure()`` output (stops counting once past ``stop``)."""
    depth = deepest = 0
    for byte in outside.translate(None, b","):
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop is not None and deepest > stop:
                    break
        else:
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(
    data: bytes | str,
    *,
    what: str = "the JSON",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_items: int = MAX_ITEMS,
) -> Any:
    """Parse untrusted JSON within limits; ``InputLimitError`` (a ``ValueError``) when it is over
    them, ``ValueError`` when it is not valid UTF-8 JSON."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise InputLimitError(f"{what} is {len(raw):,} bytes, over the limit of {max_bytes:,}")
    outside = structure(raw)
    if len(outside) > max_items:  # every array, object and separator, at C speed
        raise InputLimitError(f"{what} holds more than {max_items:,} values")
    deepest = depth_of(outside, stop=max_depth)
    del outside
    if deepest > max_depth:
        raise InputLimitError(f"{what} nests more than {max_depth} levels deep")
    text = raw.decode("utf-8")  # UnicodeDecodeError is a ValueError
    del raw
    return json.loads(text, parse_constant=_no_constant)


__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_ITEMS", "depth_of", "loads", "structure"]
