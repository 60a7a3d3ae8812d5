"""The workbench's server side: what runs in the server process before the first request.

``streamlit run app.py`` finds the ``app = st.App(...)`` in ``app.py`` and serves it with uvicorn, so
this module is imported when the server starts, before anything reaches it. It makes two promises
true by construction:

* **No outbound connections.** Streamlit asks the internet for the machine's address in two
  places: at start when no ``server.address`` is set (``checkip.amazonaws.com``, plus a UDP
  "connect" to 8.8.8.8 for the LAN address), and on *every* WebSocket whose ``Origin`` is not the
  page's own: any web page the analyst visits can open ``ws://127.0.0.1:8501`` and make the server
  send that request. :func:`seal_network` replaces both look-ups with "unknown" before the server
  listens; the origin check then simply refuses such sockets. Usage statistics are off in
  ``.streamlit/config.toml``; the page's icon is a local file (``ui/assets``).
* **Uploads never sit in memory.** :class:`UploadSpool` streams each upload to the data folder
  while hashing it and hands Streamlit's handler the same request with an empty file, so
  Streamlit's own checks (XSRF token, live session, size cap) still decide; ``ui.uploads`` then
  takes the file from disk. A transfer that breaks off is deleted at once.

``tests/test_browser_safety.py`` proves both against the real server, logging every connection it
attempts and every request the page makes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from verify.digest import Digests

from . import uploads
from .config import paths

log = logging.getLogger("verify")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_PATH = re.compile(r"/_stcore/upload_file/(?P<session>[^/]+)/(?P<file>[^/]+)$")
#: Parsed file bytes are written in blocks of this size, off the event loop.
BLOCK = 1 << 20
#: Non-file parts of an upload form are tiny; more than this is not Streamlit's frontend.
MAX_FIELD = 64 << 10
#: Multipart framing allowance on top of ``server.maxUploadSize`` (as Streamlit allows).
FRAMING = 1 << 20


def seal_network() -> None:
    """Make Streamlit's own address look-ups answer "unknown" without touching the network."""
    from streamlit import net_util

    def unknown() -> str | None:
        return None

    net_util.get_external_ip = unknown
    net_util.get_internal_ip = unknown


# -- streaming uploads ---------------------------------------------------------------------------


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _allowed(scope: Scope, session_id: str) -> bool:
    """Streamlit's own preconditions for an upload (live session, XSRF token), checked before any byte is read.

    When they fail, the request goes to Streamlit unchanged, which refuses it without reading the body.
    """
    try:
        from streamlit.runtime import Runtime
        from streamlit.web.server.server_util import is_xsrf_enabled
        from streamlit.web.server.starlette.starlette_app_utils import validate_xsrf_token
        from streamlit.web.server.starlette.starlette_server_config import XSRF_COOKIE_NAME
    except ImportError:  # a Streamlit release that moved these: fall back to its own handler
        log.warning("uploads are handled by Streamlit in memory: its XSRF helpers moved")
        return False
    if not Runtime.exists() or not Runtime.instance().is_active_session(session_id):
        return False
    if is_xsrf_enabled():
        cookies = SimpleCookie()
        cookies.load(_header(scope, b"cookie"))
        morsel = cookies.get(XSRF_COOKIE_NAME)
        if not validate_xsrf_token(_header(scope, b"x-xsrftoken") or None, morsel.value if morsel else None):
            return False
    return True


def _max_body() -> int:
    from streamlit import config

    return int(config.get_option("server.maxUploadSize")) * 1024 * 1024 + FRAMING


class _Form:
    """One multipart upload form parsed as it streams: the file part to disk, the rest kept."""

    def __init__(self, boundary: bytes, spool: Path) -> None:
        from python_multipart.multipart import MultipartParser

        self.boundary = boundary
        self.spool = spool
        self.parts: list[dict[str, Any]] = []
        self.files = 0
        self.size = 0
        self.digest = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.pending = bytearray()
        self.error = ""
        self._field = b""
        self._value = b""
        self._out = spool.open("wb")
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_header_field": lambda d, s, e: setattr(self, "_field", self._field + d[s:e]),
                "on_header_value": lambda d, s, e: setattr(self, "_value", self._value + d[s:e]),
                "on_header_end": self._header_end,
                "on_part_data": self._data,
            },
        )

    def _begin(self) -> None:
        self.parts.append({"headers": [], "file": False, "data": bytearray()})

    def _header_end(self) -> None:
        part = self.parts[-1]
        part["headers"].append((self._field, self._value))
        if self._field.lower() == b"content-disposition" and b"filename=" in self._value:
            part["file"] = True
            self.files += 1
        self._field = self._value = b""

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self.parts[-1]
        if part["file"] and self.files == 1:
            self.pending += data[start:end]
        elif len(part["data"]) + end - start <= MAX_FIELD:
            part["data"] += data[start:end]
        else:
            self.error = "a form field is too large"

    def _write(self, block: bytes) -> None:
        self.digest.update(block)
        self.md5.update(block)
        self._out.write(block)
        self.size += len(block)

    async def feed(self, chunk: bytes) -> None:
        self.parser.write(chunk)
        if len(self.pending) >= BLOCK:
            block, self.pending = bytes(self.pending), bytearray()
            await asyncio.to_thread(self._write, block)

    async def finish(self) -> None:
        self.parser.finalize()
        if self.pending:
            block, self.pending = bytes(self.pending), bytearray()
            await asyncio.to_thread(self._write, block)
        self._out.close()

    def close(self) -> None:
        self._out.close()

    def digests(self) -> Digests:
        """What ``verify.digest.copy_digests`` gives for the same bytes (sha256, md5, size)."""
        return Digests(self.digest.hexdigest(), self.md5.hexdigest(), self.size)

    def placeholder(self) -> bytes:
        """The same form with the file's content left out: what Streamlit's handler receives."""
        out = bytearray()
        for part in self.parts:
            out += b"--" + self.boundary + b"\r\n"
            for field, value in part["headers"]:
                out += field + b": " + value + b"\r\n"
            out += b"\r\n" + (b"" if part["file"] else bytes(part["data"])) + b"\r\n"
        out += b"--" + self.boundary + b"--\r\n"
        return bytes(out)


async def _respond(send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class UploadSpool:
    """ASGI middleware: stream uploads to ``uploads/.incoming`` instead of Streamlit's memory."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = UPLOAD_PATH.search(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        session_id, file_id = match.group("session"), match.group("file")
        if scope["method"] == "DELETE":
            uploads.discard(session_id, file_id)
        if scope["method"] != "PUT" or not _allowed(scope, session_id):
            await self.app(scope, receive, send)
            return
        await self._put(scope, receive, send, session_id, file_id)

    async def _put(self, scope: Scope, receive: Receive, send: Send, session_id: str, file_id: str) -> None:
        from python_multipart.multipart import parse_options_header

        kind, options = parse_options_header(_header(scope, b"content-type"))
        boundary = options.get(b"boundary")
        limit = _max_body()
        declared = _header(scope, b"content-length")
        if kind != b"multipart/form-data" or not boundary or (declared.isdigit() and int(declared) > limit):
            await self.app(scope, receive, send)  # Streamlit refuses these itself, before reading
            return
        data = paths()
        folder = uploads.incoming_dir(data)
        spool = folder / f"{uuid.uuid4().hex}.part"
        uploads.writing(spool.name, True)
        form = _Form(boundary, spool)
        kept = False
        try:
            received = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    log.info("upload %s broke off after %d bytes: deleted", file_id, received)
                    return
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    await _respond(send, 413, "File too large")
                    return
                await form.feed(chunk)
                if form.error:
                    await _respond(send, 400, form.error)
                    return
                if not message.get("more_body", False):
                    break
            await form.finish()
            if form.files != 1:
                await _respond(send, 400, f"Expected 1 file, but got {form.files}")
                return
            name = next(
                (
                    _filename(v)
                    for p in form.parts
                    if p["file"]
                    for f, v in p["headers"]
                    if f.lower() == b"content-disposition"
                ),
                "",
            )
            spooled = uploads.Spooled(spool, form.digests(), name, session_id, time.time())
            kept = await self._forward(scope, receive, send, form.placeholder(), session_id, file_id, spooled)
        finally:
            form.close()
            uploads.writing(spool.name, False)
            if not kept:
                spool.unlink(missing_ok=True)
            uploads.sweep_incoming(data)

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: bytes,
        session_id: str,
        file_id: str,
        spooled: Any,
    ) -> bool:
        """Hand Streamlit's handler the form without the file; keep the spool if it accepts the upload."""
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        inner = dict(scope, headers=headers)
        sent = False
        accepted = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def watch(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "http.response.start" and 200 <= int(message["status"]) < 300:
                uploads.register(session_id, file_id, spooled)  # before the page hears of it
                accepted = True
            await send(message)

        try:
            await self.app(inner, replay, watch)
        finally:
            if not accepted:
                uploads.discard(session_id, file_id)
        return accepted


def _filename(disposition: bytes) -> str:
    from python_multipart.multipart import parse_options_header

    _, options = parse_options_header(disposition)
    raw = options.get(b"filename", b"")
    return raw.decode("utf-8", "replace")


def middleware() -> list[Any]:
    from starlette.middleware import Middleware

    return [Middleware(UploadSpool)]


# -- telling the page that background work has ended ----------------------------------------------

#: Longest a page's request for news of background work is held open, seconds.
ACTIVITY_HOLD = 20.0
#: How often a held request looks at the task counter (on the event loop: no thread is held).
ACTIVITY_TICK = 0.05


async def activity(request: Any) -> Any:
    """``GET /_verify/activity?since=N``: answers ``{"finished": M}`` as soon as the count of ended
    background tasks (``ui.jobs.Runner.finished``) differs from ``N``, or after
    :data:`ACTIVITY_HOLD` seconds. The sidebar's watcher (``ui/components/activity.py``) asks
    it and reruns the page when the answer changes: the matches show the moment they exist,
    without the page polling the server several times a second. Only the page's own origin may
    ask (``Sec-Fetch-Site``), and the answer is a number."""
    from starlette.responses import JSONResponse

    from . import jobs

    if _header(request.scope, b"sec-fetch-site") not in ("", "same-origin"):
        return JSONResponse({"error": "not this page"}, status_code=403)
    try:
        since = int(request.query_params.get("since", "-1"))
    except ValueError:
        since = -1
    runner = jobs.runner()
    deadline = time.monotonic() + ACTIVITY_HOLD
    while runner.finished == since and time.monotonic() < deadline:
        await asyncio.sleep(ACTIVITY_TICK)
    return JSONResponse({"finished": runner.finished}, headers={"Cache-Control": "no-store"})


def routes() -> list[Any]:
    """The server's own routes beside Streamlit's (``app.py``)."""
    from starlette.routing import Route

    return [Route("/_verify/activity", activity, methods=["GET"])]


#: How often spooled uploads nobody claimed are looked for (``ui.uploads.sweep_incoming``).
SWEEP_EVERY = 60.0


def _sweeper() -> None:
    while True:
        time.sleep(SWEEP_EVERY)
        try:
            uploads.sweep_incoming(paths())
        except OSError as exc:  # a data folder that went away must not end the server
            log.warning("sweeping spooled uploads failed: %s", exc)


def prepare() -> None:
    """What must hold before the server takes its first request (``app.py`` calls it at import)."""
    from . import memory

    memory.tune()  # before the worker threads exist: they share two malloc arenas (ui/memory.py)
    seal_network()
    uploads.sweep_incoming(paths())  # spooled files of an earlier run will never be claimed
    threading.Thread(target=_sweeper, name="verify-upload-sweeper", daemon=True).start()
