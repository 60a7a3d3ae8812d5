"""The real workbench for browser tests: started as the README says, watched while it runs.

:func:`start` runs ``.venv/bin/streamlit run app.py`` from the repository folder (the repository's
``.streamlit/config.toml`` applies) with ``VERIFY_DATA`` pointing at a temporary folder. The one
addition is ``--server.port`` with a free port: tests run in parallel on machines where 8501 may be
taken. Every network attempt of the server is logged twice: by a Python audit hook
(``tests/netlog/sitecustomize.py``) and, when it can run, by ``strace -f`` (system calls, so native
code and child processes such as ffmpeg are covered too). :func:`browser` launches Debian's
chromium through Playwright with every request recorded, and any request that would leave
127.0.0.1 aborted (recorded first), so a failing test cannot reach the internet either.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NETLOG_DIR = ROOT / "tests" / "netlog"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def streamlit_command() -> list[str]:
    """``.venv/bin/streamlit`` of the interpreter running the tests (the README's command)."""
    script = Path(sys.executable).with_name("streamlit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "streamlit"]


def strace_usable() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=connect", "-o", os.devnull, "true"], capture_output=True
    )
    return probe.returncode == 0


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    data: Path
    netlog: Path
    strace_log: Path | None
    log: Path
    requests: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        """The server process (under strace, the traced child)."""
        if self.strace_log is None:
            return self.proc.pid
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return int(children[0]) if children else self.proc.pid

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")


@contextlib.contextmanager
def start(tmp: Path, env: dict[str, str] | None = None, *, trace: bool = True) -> Iterator[Server]:
    port = free_port()
    data = tmp / "data"
    netlog = tmp / "netlog.jsonl"
    log = tmp / "streamlit.log"
    strace_log = tmp / "strace.log" if trace and strace_usable() else None
    full_env = dict(
        os.environ,
        VERIFY_DATA=str(data),
        VERIFY_NETLOG=str(netlog),
        PYTHONPATH=os.pathsep.join([str(NETLOG_DIR), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        PYTHONUNBUFFERED="1",
        **(env or {}),
    )
    cmd = [*streamlit_command(), "run", "app.py", "--server.port", str(port)]
    if strace_log is not None:
        syscalls = "trace=connect,sendto,sendmsg,sendmmsg"
        cmd = [
            "strace",
            "-f",
            "-qq",
            "--seccomp-bpf",
            "-e",
            syscalls,
            "-e",
            "signal=none",
            "-o",
            str(strace_log),
            *cmd,
        ]
    out = log.open("w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", port, proc, data, netlog, strace_log, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.3)
        yield server
    finally:
        # stop the server itself: strace, sent SIGTERM, would detach and leave it running
        with contextlib.suppress(OSError, ValueError, IndexError):
            os.kill(server.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.kill(server.pid, signal.SIGKILL)
            proc.kill()
            proc.wait(10)
        out.close()


# -- what the server tried to reach -------------------------------------------------------------


def _is_local_host(host: object) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def audit_events(server: Server) -> list[dict[str, Any]]:
    if not server.netlog.exists():
        return []
    return [json.loads(line) for line in server.netlog.read_text().splitlines() if line.strip()]


_LOOKUPS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "http.client.connect")


def remote_audit_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit events that name anything but this machine (addresses of AF_INET/AF_INET6, host names)."""
    bad = []
    for e in events:
        args = e.get("args") or []
        if e["event"] in ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"):
            if e.get("family") in (socket.AF_INET, socket.AF_INET6):
                addr = args[-1] if args else None
                host = addr[0] if isinstance(addr, list) and addr else addr
                if not _is_local_host(host) and not (
                    e["event"] == "socket.bind" and host in ("0.0.0.0", "::")
                ):
                    bad.append(e)
        elif e["event"] in _LOOKUPS and not _is_local_host(args[0] if args else None):
            bad.append(e)
    return bad


_INET = re.compile(r'sin_addr=inet_addr\("([^"]+)"\)')
_INET6 = re.compile(r'inet_pton\(AF_INET6, "([^"]+)"')


def strace_destinations(server: Server) -> list[tuple[str, str]]:
    """(syscall line, address) for every IPv4/IPv6 destination the server's processes named."""
    if server.strace_log is None or not server.strace_log.exists():
        return []
    out = []
    for line in server.strace_log.read_text(errors="replace").splitlines():
        for addr in _INET.findall(line) + _INET6.findall(line):
            out.append((line[:300], addr))
    return out


def strace_calls(server: Server) -> int:
    """How many traced system calls strace logged (the server's own sends count: proof it watched)."""
    if server.strace_log is None or not server.strace_log.exists():
        return 0
    return sum(1 for line in server.strace_log.read_text(errors="replace").splitlines() if "(" in line)


def listening_sockets(pid: int) -> list[str]:
    """``address:port`` of every TCP socket the process listens on (from /proc, IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            hex_addr, hex_port = local.split(":")
            raw = bytes.fromhex(hex_addr)
            if width == 8:
                addr = str(ipaddress.IPv4Address(raw[::-1]))
            else:
                addr = str(ipaddress.IPv6Address(b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))))
            found.append(f"{addr}:{int(hex_port, 16)}")
    return found


# -- the browser ---------------------------------------------------------------------------------


def is_local_url(url: str) -> bool:
    return url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:"))


@contextlib.contextmanager
def browser(
    requests: list[str], blocked: list[str], viewport: dict[str, int] | None = None, *, block: bool = True
) -> Iterator[Any]:
    """A chromium page; every request is appended to ``requests``, non-local ones also to ``blocked``
    (and aborted). ``block=False`` only records: Playwright's interception holds a request's whole
    body, which stalls uploads of hundreds of MB."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = b.new_context(viewport=viewport or {"width": 1400, "height": 1000})

            def route(r: Any) -> None:
                if is_local_url(r.request.url):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            if block:
                context.route("**/*", route)
            context.on("request", lambda r: requests.append(r.url))
            page = context.new_page()
            page.on("websocket", lambda ws: requests.append(ws.url))
            yield page
        finally:
            b.close()
