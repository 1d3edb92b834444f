"""The service's change feed (GET /api/v1/events) as a Python iterator, and the
watcher that turns it into the original's on_task_complete / on_task_fail calls.

The feed orders changes by the writers' clocks (updated_at, then task id). A
change committed late, or by a writer whose clock lags, can land just behind a
cursor already passed, so each sweep re-reads OVERLAP_MS behind the cursor and
skips the (task id, version) pairs already yielded: a change is yielded once.

Thread-safety: a feed is one reader's state: iterate it from one thread. The
watcher runs its own thread; stop() may be called from any thread.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Callable, Iterator

from .client import Client
from .errors import BadRequest, ServiceUnavailable, TaskExecError

log = logging.getLogger("taskexec.events")

OVERLAP_MS = 2000
PAGE = 1000


def _cursor_ms(cursor: str) -> int:
    return int(cursor.split(":", 1)[0])


def _key(cursor: str) -> tuple[int, str]:
    ms, _, task_id = cursor.partition(":")
    return int(ms), task_id


def start_cursor(client: Client, after: str) -> str:
    """A concrete cursor for ``after``: "now" asks the service for its clock (not
    ours: the feed is ordered by the service's)."""
    if after == "now":
        return str(client.get("/api/v1/events", {"after": "now", "limit": 1}).json()["next"])
    if after == "":
        return "0:"
    head = after.split(":", 1)[0]
    if ":" not in after or not head.isdigit():
        raise BadRequest(f"after: {after!r} is not a cursor (an event's cursor, 'now' or '')",
                         code="invalid_argument")
    return after


def feed(client: Client, after: str = "now", *, poll: float = 0.25,
         timeout: float | None = None,
         stop: threading.Event | None = None) -> Iterator[dict[str, Any]]:
    """Yields ``{"cursor", "task"}`` for each task change after ``after`` ("now", "" for
    the beginning, or an event's cursor), oldest first, until ``timeout`` seconds have
    passed (None: forever) or ``stop`` is set."""
    deadline = None if timeout is None else time.monotonic() + timeout
    cursor = start_cursor(client, after)
    start = _key(cursor)  # what came before it is the caller's past
    seen: dict[tuple[str, int], int] = {}  # (task id, version) -> updated_at ms
    while True:
        window_ms = max(0, _cursor_ms(cursor) - OVERLAP_MS)
        page_after = f"{window_ms}:"
        while True:
            page = client.get("/api/v1/events", {"after": page_after, "limit": PAGE}).json()
            for event in page["events"]:
                task = event["task"]
                key = (str(task["id"]), int(task["version"]))
                if key in seen or _key(event["cursor"]) <= start:
                    continue
                seen[key] = _cursor_ms(event["cursor"])
                if _key(event["cursor"]) > _key(cursor):
                    cursor = event["cursor"]
                yield event
            page_after = page["next"]
            if len(page["events"]) < PAGE:
                break
        floor = _cursor_ms(cursor) - OVERLAP_MS
        for key in [k for k, ms in seen.items() if ms < floor]:
            del seen[key]
        if deadline is not None and time.monotonic() >= deadline:
            return
        pause = poll if deadline is None else min(poll, max(0.0, deadline - time.monotonic()))
        if stop is not None:
            if stop.wait(pause):
                return
        else:
            time.sleep(pause)


class OutcomeWatcher:
    """Calls ``on_complete(task_id, summary)`` and ``on_fail(task_id, error_type,
    message)`` once per final outcome of a task that changes after start(), as the
    original's callbacks were called. A callback that raises is logged and the
    watcher goes on; while the service cannot be reached it retries."""

    _REMEMBERED = 100_000  # outcomes kept to call each once

    def __init__(self, client: Client,
                 on_complete: Callable[[str, str], Any] | None,
                 on_fail: Callable[[str, str, str], Any] | None, *, poll: float = 0.25) -> None:
        self._client = client
        self._on_complete = on_complete
        self._on_fail = on_fail
        self._poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._called: collections.OrderedDict[tuple[str, str, Any], None] = \
            collections.OrderedDict()
        self._cursor = ""

    def start(self) -> None:
        """Outcomes count from the service's clock now."""
        self._cursor = start_cursor(self._client, "now")
        self._thread = threading.Thread(target=self._run, name="taskexec-outcomes", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)

    def _run(self) -> None:
        delay = self._poll
        while not self._stop.is_set():
            try:
                for event in feed(self._client, self._cursor, poll=self._poll, stop=self._stop):
                    self._cursor = event["cursor"]
                    self._dispatch(event["task"])
                    delay = self._poll
                return
            except (ServiceUnavailable, TaskExecError) as e:
                log.warning("task outcomes: %s; retrying", e)
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, 5.0)

    def _dispatch(self, task: dict[str, Any]) -> None:
        status = task.get("status")
        if status not in ("completed", "failed"):
            return
        key = (str(task["id"]), str(status), task.get("completed_at"))
        if key in self._called:
            return
        self._called[key] = None
        if len(self._called) > self._REMEMBERED:
            self._called.popitem(last=False)
        try:
            if status == "completed" and self._on_complete is not None:
                self._on_complete(str(task["id"]), str(task.get("output_summary") or ""))
            elif status == "failed" and self._on_fail is not None:
                self._on_fail(str(task["id"]), str(task.get("error_type") or "unknown"),
                              str(task.get("error_message") or ""))
        except Exception:  # a caller's callback must not end the watcher
            log.exception("task outcome callback for %s raised", task["id"])
