"""TaskExecutionPipeline: the original executor's Python API, run by taskexec.

The original started threads in the caller's process; here the work runs in a
taskexec service (durable state, leases, real agent CLIs) and this object is
its client. With ``url`` (or $TASKEXEC_URL) it talks to a running service;
without, ``start()`` starts one of its own (``taskexec serve`` on a free
loopback port) and ``stop()`` ends it.

Thread-safety: the operations may be called from several threads; start()
and stop() are serialised.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.parse
from typing import Any, Callable, Iterator, Mapping, Sequence

from .client import Client
from .errors import BadRequest, TaskExecError
from .events import OutcomeWatcher, feed, start_cursor
from .service import OwnedService

FINAL_STATUSES = ("completed", "failed", "cancelled")
# What wait() returns at: the final statuses, and a question waiting for a
# person (nothing moves the task on its own from there).
SETTLED_STATUSES = FINAL_STATUSES + ("needs_input",)
TASK_STATUSES = ("pending", "assigned", "claimed", "in_progress", "retrying", "completed",
                 "failed", "cancelled", "suspended", "pending_review", "review", "blocked",
                 "needs_input")
TASK_SORT_KEYS = ("created", "updated", "priority", "status", "title")
PRIORITIES = ("critical", "high", "normal", "low")
_AGENT_RE = re.compile(r"^[a-z0-9_-]+$")
_HEX_RE = re.compile(r"^[0-9a-fA-F]+$")
_NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def _check_id(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name}: expected a non-empty id string, got {value!r}",
                         code="invalid_argument")
    if any(c.isspace() or c in "/?#%" for c in value):
        raise BadRequest(f"{name}: {value!r} is not an id (no spaces, '/', '?', '#', '%')",
                         code="invalid_argument")
    return value


def _check_ids(name: str, values: Any) -> list[str]:
    """A list of task ids (a lone string is refused: it would read as its letters)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise BadRequest(f"{name}: expected a list of task ids, got {values!r}",
                         code="invalid_argument")
    return [_check_id(name, v) for v in values]


def _check_agent(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _AGENT_RE.match(value):
        raise BadRequest(f"agent: expected a name of a-z, 0-9, '_' or '-', got {value!r}",
                         code="invalid_argument")
    return value


def _optional_text(name: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{name}: expected a string, got {type(value).__name__}",
                         code="invalid_argument")
    return value


def _check_page_id(value: Any) -> str:
    hex_digits = value.replace("-", "") if isinstance(value, str) else ""
    if len(hex_digits) != 32 or not _HEX_RE.match(hex_digits) or value.count("-") not in (0, 4):
        raise BadRequest("notion_page_id: expected a Notion page id (32 hex digits, with or "
                         f"without dashes), got {value!r}", code="invalid_argument")
    return value


def _path_id(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def neo4j_settings(memory: Any) -> dict[str, str]:
    """The environment that points an owned service at the Neo4j server the
    original's ``OperationalMemory`` (or a bolt/neo4j URI string) names; empty
    when it names none, and the embedded store is used."""
    if memory is None:
        return {}
    if isinstance(memory, str):
        uri, user, password, database = memory, None, None, None
    else:
        def attr(*names: str) -> Any:
            for name in names:
                value = getattr(memory, name, None)
                if isinstance(value, str) and value:
                    return value
            return None
        uri = attr("uri", "neo4j_uri", "_uri")
        user = attr("user", "username", "neo4j_user", "_user")
        password = attr("password", "neo4j_password", "_password")
        database = attr("database", "neo4j_database", "_database")
    if not uri or urllib.parse.urlsplit(uri).scheme not in _NEO4J_SCHEMES:
        return {}
    env = {"TASKEXEC_STORE_BACKEND": "neo4j", "NEO4J_URI": uri}
    if user:
        env["NEO4J_USER"] = user
    if password:
        env["NEO4J_PASSWORD"] = password
    if database:
        env["NEO4J_DATABASE"] = database
    return env


def _mapping_pairs(agent_mapping: Mapping[str, str] | None) -> list[list[str]]:
    if agent_mapping is None:
        return []
    if not isinstance(agent_mapping, Mapping):
        raise BadRequest("agent_mapping: expected a dict of keyword -> agent",
                         code="invalid_argument")
    pairs = []
    for keyword, agent in agent_mapping.items():
        if not isinstance(keyword, str) or not keyword.strip():
            raise BadRequest(f"agent_mapping: keyword {keyword!r} is not a non-empty string",
                             code="invalid_argument")
        _check_agent(agent)
        pairs.append([keyword, agent])
    return pairs


def _attempt(execution: Mapping[str, Any]) -> dict[str, Any]:
    """An execution as the original's executor reported an attempt."""
    out = dict(execution)
    out["attempt_id"] = execution.get("id")
    out["completed_at"] = execution.get("ended_at")
    out["error_message"] = execution.get("error")
    return out


class TaskExecutionPipeline:
    """The original's pipeline: start(), stop(), get_status(), manually_execute_task(),
    cancel_task(), get_execution_status(), and the calls a Python user expects next to them."""

    def __init__(self, memory: Any = None, agent_mapping: Mapping[str, str] | None = None, *,
                 url: str | None = None, token: str | None = None, config: str | None = None,
                 binary: str | None = None,
                 on_task_complete: Callable[[str, str], Any] | None = None,
                 on_task_fail: Callable[[str, str, str], Any] | None = None,
                 start_timeout: float = 30.0) -> None:
        self.memory = memory
        self._mapping = _mapping_pairs(agent_mapping)
        self._url = url or os.environ.get("TASKEXEC_URL") or None
        self._token = token if token is not None else os.environ.get("TASKEXEC_TOKEN") or None
        self._config = config
        self._binary = binary
        self._start_timeout = start_timeout
        self._service: OwnedService | None = None
        self._client: Client | None = None
        for name, fn in (("on_task_complete", on_task_complete), ("on_task_fail", on_task_fail)):
            if fn is not None and not callable(fn):
                raise BadRequest(f"{name}: expected a callable, got {type(fn).__name__}",
                                 code="invalid_argument")
        self._on_task_complete = on_task_complete
        self._on_task_fail = on_task_fail
        self._watcher: OutcomeWatcher | None = None
        self._lock = threading.Lock()
        # Set by integrate_with_notion: the callbacks given to the NotionIntegration.
        self.notion_bridge: Any = None

    def __repr__(self) -> str:
        where = self._client.url if self._client else (self._url or "an owned service")
        return f"TaskExecutionPipeline({where}, {'running' if self._client else 'stopped'})"

    def __enter__(self) -> "TaskExecutionPipeline":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- lifecycle --------------------------------------------------------

    def start(self) -> "TaskExecutionPipeline":
        """Connects to the service at ``url``, or starts an owned one. Idempotent."""
        with self._lock:
            if self._client is not None:
                return self
            if self._url:
                client = Client(self._url, self._token)
                client.get("/api/v1/status")
                self._check_routing(client)
            else:
                env = neo4j_settings(self.memory)
                if self._mapping:
                    env["TASKEXEC_ROUTING_MAPPING"] = json.dumps(self._mapping)
                    # The original replaced its keyword table with the caller's.
                    env["TASKEXEC_ROUTING_MODE"] = "replace"
                service = OwnedService(binary=self._binary, config=self._config, env=env,
                                       token=self._token, start_timeout=self._start_timeout)
                client = Client(service.start(), self._token)
                self._service = service
            if self._on_task_complete is not None or self._on_task_fail is not None:
                watcher = OutcomeWatcher(client, self._on_task_complete, self._on_task_fail)
                try:
                    watcher.start()
                except TaskExecError:
                    if self._service is not None:
                        self._service.stop()
                        self._service = None
                    raise
                self._watcher = watcher
            self._client = client
            return self

    def stop(self) -> None:
        """Ends an owned service; leaves a service at ``url`` running. Idempotent."""
        with self._lock:
            self._client = None
            service, self._service = self._service, None
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        if service is not None:
            service.stop()

    @property
    def url(self) -> str | None:
        return self._client.url if self._client else None

    @property
    def service(self) -> OwnedService | None:
        """The owned service, when this pipeline started one."""
        return self._service

    def _check_routing(self, client: Client) -> None:
        # A running service has its own keyword table; a mapping it does not
        # follow would be silently ignored, so say so instead.
        for keyword, agent in self._mapping:
            routed = client.post("/api/v1/route", {"title": keyword}, idempotent=True).json()
            if routed.get("agent") != agent:
                raise TaskExecError(
                    f"agent_mapping: the service at {client.url} routes {keyword!r} to "
                    f"{routed.get('agent')!r}, not {agent!r}; set routing.mapping in its "
                    "configuration, or leave url unset to start a service with this mapping",
                    code="routing_mismatch")

    def _api(self) -> Client:
        client = self._client
        if client is None:
            raise TaskExecError("the pipeline is not started; call start() first",
                                code="not_started")
        return client

    # ---- the original's operations ----------------------------------------

    def get_status(self) -> dict[str, Any]:
        """running, active_executions (attempt_id, task_id, agent, status, started_at,
        session_id), status_breakdown (tasks by status), by_agent, spawned_sessions,
        refusing_work (why no new work is taken: a full disk; empty while it is) and
        kept_outcomes (ended attempts whose outcomes wait for the store)."""
        s = self._api().get("/api/v1/status").json()
        stats = s.get("stats") or {}
        return {
            "running": bool(s.get("engine_running")),
            "executor_id": s.get("executor_id"),
            "active_executions": [
                {k: _attempt(e).get(k) for k in
                 ("attempt_id", "task_id", "agent", "status", "started_at", "session_id")}
                for e in s.get("active_executions") or []],
            "status_breakdown": dict(stats.get("by_status") or {}),
            "by_agent": dict(stats.get("by_agent") or {}),
            "running_by_agent": dict(s.get("running_by_agent") or {}),
            "spawned_sessions": s.get("spawned_sessions", 0),
            "resumed_sessions": s.get("resumed_sessions", 0),
            "refusing_work": s.get("refusing_work", ""),
            "kept_outcomes": s.get("kept_outcomes", 0),
        }

    def manually_execute_task(self, task_id: str, agent: str | None = None, *,
                              force: bool = False) -> str:
        """Runs the task now (on ``agent`` when given); returns the attempt id. A task
        whose budget is spent raises Conflict naming the limit, unless ``force``: then
        that one attempt runs (the limits still stop its retries)."""
        _check_id("task_id", task_id)
        body: dict[str, Any] = {"agent": _check_agent(agent)} if agent else {}
        if not isinstance(force, bool):
            raise BadRequest("force: expected True or False", code="invalid_argument")
        if force:
            body["force"] = True
        r = self._api().post(f"/api/v1/tasks/{_path_id(task_id)}/execute", body).json()
        return str(r["attempt_id"])

    def cancel_task(self, task_id: str) -> dict[str, Any]:
        """Cancels a task (or the task of an attempt id); returns the task."""
        _check_id("task_id", task_id)
        return self._api().post(f"/api/v1/tasks/{_path_id(task_id)}/cancel", {},
                                idempotent=True).json()

    def reply(self, task_id: str, message: str) -> dict[str, Any]:
        """Answers the question a ``needs_input`` task waits on; returns the task, back in
        the queue. Its next attempt gets the question and the answer. Raises Conflict when
        the task waits for no answer."""
        _check_id("task_id", task_id)
        if not isinstance(message, str) or not message.strip():
            raise BadRequest("message: expected a non-blank string", code="invalid_argument")
        return self._api().post(f"/api/v1/tasks/{_path_id(task_id)}/reply",
                                {"message": message}).json()

    def agents(self) -> list[dict[str, Any]]:
        """Every agent: ``running`` attempts of its ``limit``, ``cost_today_usd`` against
        ``daily_limit_usd``, and ``paused`` (until, since, reason -- ``circuit``,
        ``usage_limit`` or ``daily_budget`` -- and message) while no attempt starts on it."""
        return list(self._api().get("/api/v1/agents").json()["agents"])

    def resume_agent(self, name: str) -> dict[str, Any]:
        """Lifts the agent's pause now; returns the agent. Raises Conflict when it is not
        paused, or paused by its daily budget (that pause ends at 00:00 UTC)."""
        agent = _check_agent(name)
        if not agent:
            raise BadRequest("name: expected an agent name", code="invalid_argument")
        return dict(self._api().post(f"/api/v1/agents/{_path_id(agent)}/resume", {}).json())

    def workspaces(self) -> list[dict[str, Any]]:
        """The tasks' workspaces (``workspace.mode = "task"``): ``task_id``, ``path``,
        ``bytes``, ``git_worktree``, ``task_status``, ``finished_at`` and what a gc would do
        (``verdict``: ``keep``, ``remove`` or ``in_use``, and ``reason``)."""
        return list(self._api().get("/api/v1/workspaces").json()["workspaces"])

    def collect_workspaces(self, *, dry_run: bool = False) -> dict[str, Any]:
        """Removes the finished tasks' workspaces that ``workspace.keep`` and
        ``workspace.max_age_days`` no longer keep (with ``dry_run``, only lists them);
        returns ``removed``, ``bytes``, ``kept`` and ``errors``."""
        if not isinstance(dry_run, bool):
            raise BadRequest("dry_run: expected True or False", code="invalid_argument")
        return dict(self._api().post("/api/v1/workspaces/gc", {"dry_run": dry_run}).json())

    def get_execution_status(self, attempt_id: str) -> dict[str, Any]:
        """The attempt: status, agent, session, times, error and usage."""
        _check_id("attempt_id", attempt_id)
        return _attempt(self._api().get(f"/api/v1/executions/{_path_id(attempt_id)}").json())

    # ---- what a Python user expects next to them ---------------------------

    def add_task(self, title: str, description: str = "", *, type: str | None = None,
                 priority: str | None = None, agent: str | None = None,
                 context: Mapping[str, Any] | None = None, task_id: str | None = None,
                 notion_page_id: str | None = None, notion_url: str | None = None,
                 max_cost_usd: float | None = None, max_tokens: int | None = None,
                 max_attempts: int | None = None, max_seconds: int | None = None,
                 blocked_by: Sequence[str] | None = None) -> str:
        """Adds a task; returns its id (``task_id`` when given: a second add with the same
        id raises Conflict). With ``notion_page_id`` the task is the card's: adding a card
        that already has a task returns that task's id and adds nothing. The task runs on
        its own unless auto-assign is off. ``max_*`` are the task's own budget limits (in
        place of the service's ``budget.*`` settings): a task that reaches one ends failed
        with error type ``budget_exhausted``. ``blocked_by`` lists existing tasks it waits
        for: it runs once every one of them is completed (see ``update_task``)."""
        limits = {"max_cost_usd": max_cost_usd, "max_tokens": max_tokens,
                  "max_attempts": max_attempts, "max_seconds": max_seconds}
        return str(self._add_task(title, description, type=type, priority=priority,
                                  agent=agent, context=context, task_id=task_id,
                                  notion_page_id=notion_page_id, notion_url=notion_url,
                                  limits=limits, blocked_by=blocked_by)[0]["id"])

    def _add_task(self, title: str, description: str = "", *, type: str | None = None,
                  priority: str | None = None, agent: str | None = None,
                  context: Mapping[str, Any] | None = None, task_id: str | None = None,
                  notion_page_id: str | None = None,
                  notion_url: str | None = None,
                  limits: Mapping[str, float | int | None] | None = None,
                  blocked_by: Sequence[str] | None = None,
                  ) -> tuple[dict[str, Any], bool]:
        """add_task's request: the task and whether this call created it."""
        if not isinstance(title, str) or not title.strip():
            raise BadRequest("title: expected a non-blank string", code="invalid_argument")
        body: dict[str, Any] = {"title": title}
        if task_id is not None:
            body["id"] = _check_id("task_id", task_id)
        if _optional_text("description", description):
            body["description"] = description
        if _optional_text("type", type):
            body["type"] = type
        if priority is not None:
            if priority not in PRIORITIES:
                raise BadRequest(f"priority: expected one of {', '.join(PRIORITIES)}, "
                                 f"got {priority!r}", code="invalid_argument")
            body["priority"] = priority
        if _check_agent(agent):
            body["assigned_to"] = agent
        if context is not None:
            if not isinstance(context, Mapping):
                raise BadRequest("context: expected a dict", code="invalid_argument")
            body["context"] = dict(context)
        if notion_page_id is not None:
            body["notion_page_id"] = _check_page_id(notion_page_id)
        url = _optional_text("notion_url", notion_url)
        if url:
            if not url.startswith(("https://", "http://")):
                raise BadRequest(f"notion_url: expected an http(s) URL, got {url!r}",
                                 code="invalid_argument")
            body["notion_url"] = url
        for name, value in (limits or {}).items():
            if value is None:
                continue
            number = float if name == "max_cost_usd" else int
            if isinstance(value, bool) or not isinstance(value, (int, float) if number is float
                                                         else int) or value < 0:
                raise BadRequest(f"{name}: expected a non-negative "
                                 f"{'number' if number is float else 'integer'}, got {value!r}",
                                 code="invalid_argument")
            body[name] = value
        if blocked_by is not None:
            body["blocked_by"] = _check_ids("blocked_by", blocked_by)
        r = self._api().post("/api/v1/tasks", body)
        return r.json(), r.status == 201

    def update_task(self, task_id: str, *, title: str | None = None,
                    description: str | None = None, type: str | None = None,
                    priority: str | None = None, agent: str | None = None,
                    blocked_by: Sequence[str] | None = None) -> dict[str, Any]:
        """Edits a task nobody runs; returns it. ``blocked_by`` replaces the tasks it waits
        for (``[]`` drops them all, which also releases a task ``blocked`` by a failed or
        cancelled dependency). A list that names an unknown task or closes a cycle raises
        BadRequest naming it; a task an agent runs raises Conflict."""
        _check_id("task_id", task_id)
        body: dict[str, Any] = {}
        if title is not None:
            if not isinstance(title, str) or not title.strip():
                raise BadRequest("title: expected a non-blank string", code="invalid_argument")
            body["title"] = title
        for name, value in (("description", description), ("type", type)):
            if value is not None:
                if not isinstance(value, str):
                    raise BadRequest(f"{name}: expected a string", code="invalid_argument")
                body[name] = value
        if priority is not None:
            if priority not in PRIORITIES:
                raise BadRequest(f"priority: expected one of {', '.join(PRIORITIES)}, "
                                 f"got {priority!r}", code="invalid_argument")
            body["priority"] = priority
        if agent is not None:
            body["assigned_to"] = _check_agent(agent) or ""
        if blocked_by is not None:
            body["blocked_by"] = _check_ids("blocked_by", blocked_by)
        if not body:
            raise BadRequest("nothing to change: give title, description, type, priority, "
                             "agent or blocked_by", code="invalid_argument")
        return dict(self._api().request("PATCH", f"/api/v1/tasks/{_path_id(task_id)}",
                                        body=body).json())

    def get_task(self, task_id: str) -> dict[str, Any]:
        """The task with its executions and artifacts, and the tasks around it:
        ``dependencies`` (its ``blocked_by``) and ``dependents`` (the tasks waiting on it),
        each with ``id``, ``title``, ``status``, ``error_message`` and ``waiting_on``."""
        _check_id("task_id", task_id)
        return self._api().get(f"/api/v1/tasks/{_path_id(task_id)}").json()

    def list_tasks(self, status: str | None = None, agent: str | None = None,
                   limit: int = 100, *, blocked: bool = False, type: str | None = None,
                   search: str | None = None, sort: str = "created", order: str = "desc",
                   offset: int = 0) -> list[dict[str, Any]]:
        """Tasks, newest first by default, at most ``limit`` (1..1000) after skipping
        ``offset``. ``sort`` is one of created, updated, priority, status, title and
        ``order`` desc or asc; ``type`` matches exactly and ``search`` keeps tasks whose
        id, title or description contains it (ignoring ASCII case). With ``blocked``,
        only the tasks held back by dependencies: waiting on one (``waiting_on``), or
        ``blocked`` by one that failed or was cancelled. ``count_tasks`` gives the
        total the same filters match."""
        query = self._list_query(status, agent, blocked, type, search)
        if sort not in TASK_SORT_KEYS:
            raise BadRequest(f"sort: expected one of {', '.join(TASK_SORT_KEYS)}, got {sort!r}",
                             code="invalid_argument")
        if order not in ("asc", "desc"):
            raise BadRequest(f"order: expected asc or desc, got {order!r}",
                             code="invalid_argument")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
            raise BadRequest(f"limit: expected an integer 1..1000, got {limit!r}",
                             code="invalid_argument")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise BadRequest(f"offset: expected an integer 0 or more, got {offset!r}",
                             code="invalid_argument")
        query.update({"limit": limit, "sort": sort, "order": order,
                      "offset": offset or None})
        return self._api().get("/api/v1/tasks", query).json()

    def count_tasks(self, status: str | None = None, agent: str | None = None, *,
                    blocked: bool = False, type: str | None = None,
                    search: str | None = None) -> int:
        """How many tasks ``list_tasks`` with these filters would page through."""
        query = self._list_query(status, agent, blocked, type, search)
        query["limit"] = 1
        response = self._api().get("/api/v1/tasks", query)
        return int(response.headers["X-Total-Count"])

    @staticmethod
    def _list_query(status: str | None, agent: str | None, blocked: bool,
                    type: str | None, search: str | None) -> dict[str, Any]:
        if not isinstance(blocked, bool):
            raise BadRequest("blocked: expected True or False", code="invalid_argument")
        if status is not None and status not in TASK_STATUSES:
            raise BadRequest(f"status: expected one of {', '.join(TASK_STATUSES)}, got "
                             f"{status!r}", code="invalid_argument")
        if agent is not None and agent != "any":
            _check_agent(agent)
        for name, value in (("type", type), ("search", search)):
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"{name}: expected text, got {value!r}",
                                 code="invalid_argument")
        if search is not None and len(search.encode()) > 200:
            raise BadRequest("search: longer than 200 bytes", code="invalid_argument")
        return {"status": status, "agent": agent, "blocked": "true" if blocked else None,
                "type": type or None, "q": search or None}

    def wait(self, task_id: str, timeout: float | None = None) -> dict[str, Any]:
        """Returns the task (with executions) once it is completed, failed or cancelled,
        or waits for a person's answer (``needs_input``: its ``question``; answer with
        ``reply``); raises TimeoutError after ``timeout`` seconds."""
        _check_id("task_id", task_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.02
        while True:
            task = self.get_task(task_id)
            if task.get("status") in SETTLED_STATUSES:
                return task
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"task {task_id} is still {task.get('status')} after "
                                   f"{timeout} s")
            pause = delay if deadline is None else min(delay, max(0.0, deadline -
                                                                  time.monotonic()))
            time.sleep(pause)
            delay = min(delay * 2, 0.5)

    def events(self, after: str = "now", *, poll: float = 0.25,
               timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """The service's live updates: ``{"cursor", "task"}`` for each change of a task
        after ``after`` ("now"; "" for the beginning; or an event's cursor, to resume),
        oldest first, each change once, until ``timeout`` seconds have passed (None:
        forever). Changes of one task between two polls arrive as its latest state."""
        if not isinstance(poll, (int, float)) or poll <= 0:
            raise BadRequest(f"poll: expected seconds > 0, got {poll!r}", code="invalid_argument")
        client = self._api()
        # "now" is when events() is called, not when the iteration begins.
        return feed(client, start_cursor(client, after), poll=poll, timeout=timeout)

    def logs(self, attempt_id: str) -> str:
        """The attempt's whole log so far."""
        _check_id("attempt_id", attempt_id)
        path = f"/api/v1/executions/{_path_id(attempt_id)}/log"
        chunks, offset = [], 0
        while True:
            r = self._api().get(path, {"offset": offset})
            if not r.body:
                break
            chunks.append(r.body)
            offset = int(r.headers.get("X-Next-Offset", offset + len(r.body)))
        return b"".join(chunks).decode("utf-8", "replace")
