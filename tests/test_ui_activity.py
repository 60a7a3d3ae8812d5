"""The server tells the page the moment background work ends (``ui/server.py``'s ``/_verify/activity``).

The endpoint is called as the server calls it (a Starlette request on an event loop) against the
real task runner: it holds the request while a task runs, answers when it ends, and refuses pages
of other origins.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

from starlette.requests import Request

from ui import jobs, server


def _ask(since: int, site: str = "same-origin") -> tuple[int, dict]:
    headers = [(b"sec-fetch-site", site.encode())] if site else []
    scope = {"type": "http", "method": "GET", "path": "/_verify/activity", "headers": headers,
             "query_string": f"since={since}".encode()}  # fmt: skip
    response = asyncio.run(server.activity(Request(scope)))
    return response.status_code, json.loads(response.body)


def test_the_answer_waits_for_a_task_to_end_and_says_so() -> None:
    runner = jobs.runner()
    assert runner.wait_idle(120)
    before = runner.finished
    gate = threading.Event()
    runner.submit("test-activity-hold", "held", lambda task: gate.wait(30))
    answers: list[tuple[int, dict]] = []
    asker = threading.Thread(target=lambda: answers.append(_ask(before)))
    asker.start()
    time.sleep(0.5)
    held = asker.is_alive()  # the task is still running: no answer yet
    gate.set()
    asker.join(10)
    assert held, "answered while the task was still running"
    assert answers == [(200, {"finished": before + 1})]
    runner.forget("test-activity-hold")


def test_a_stale_count_is_answered_at_once_and_other_origins_are_refused() -> None:
    runner = jobs.runner()
    t = time.monotonic()
    status, body = _ask(runner.finished + 1000)
    assert status == 200 and body == {"finished": runner.finished}
    assert time.monotonic() - t < server.ACTIVITY_HOLD / 2
    for site in ("cross-site", "same-site", "none"):
        status, body = _ask(runner.finished, site)
        assert status == 403 and "finished" not in body
    status, body = _ask(-1, "")  # a client that sends no fetch metadata (not a web page): a number only
    assert status == 200 and set(body) == {"finished"}
