"""Logs every network attempt of a Python process (and its Python children) to ``$VERIFY_NETLOG``.

Put this folder on ``PYTHONPATH`` and set ``VERIFY_NETLOG`` to a file: an audit hook
(``sys.addaudithook``) then appends one JSON line per ``socket.connect``, ``socket.sendto``,
``socket.bind``, name look-up (``socket.getaddrinfo``, ``gethostbyname``...) and
``http.client.connect``. Used by ``tests/test_browser_safety.py`` on the real workbench server;
``strace`` (when it can run) covers what happens below Python.
"""

import json
import os
import sys
import threading

_PATH = os.environ.get("VERIFY_NETLOG")
_EVENTS = {
    "socket.connect",
    "socket.sendto",
    "socket.sendmsg",
    "socket.bind",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
    "http.client.connect",
}
_lock = threading.Lock()


def _plain(value):
    if isinstance(value, (str, int, float, type(None))):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return repr(value)[:200]


def _hook(event, args):
    if event not in _EVENTS:
        return
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"):
        sock, rest = args[0], args[1:]
        family = getattr(sock, "family", None)
        record = {"event": event, "family": int(family) if family is not None else None, "args": _plain(rest)}
    elif event == "http.client.connect":
        record = {"event": event, "args": _plain(args[1:])}
    else:
        record = {"event": event, "args": _plain(args)}
    record["pid"] = os.getpid()
    try:
        with _lock, open(_PATH, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    except OSError:
        pass


if _PATH:
    sys.addaudithook(_hook)
