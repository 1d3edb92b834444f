"""integrate_with_notion: the original's hook into a NotionIntegration object.

The original executor set two attributes on the caller's NotionIntegration,
``_on_new_task_callback`` (a new card became a task) and
``_on_status_change_callback`` (a person moved a card). Here the same two
callbacks drive a taskexec service: a new card's task is added there, linked by
its Notion page id so that it exists once however often it is announced (also
when taskexec's own Notion sync imported the card first), and a moved card
acts as docs/notion.md's move table says.

Thread-safety: the callbacks may be called from any thread, also concurrently.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Mapping

from .errors import BadRequest, Conflict, TaskNotFound
from .pipeline import PRIORITIES, TASK_STATUSES, TaskExecutionPipeline

log = logging.getLogger("taskexec.notion")

# Priorities as Notion boards spell them (the P0..P3 select, words people use),
# to the service's names. An unknown one is dropped with a warning: the card's
# task is worth more than its priority.
_PRIORITY_NAMES = {
    "p0": "critical", "urgent": "critical", "p1": "high", "p2": "normal", "medium": "normal",
    "p3": "low", **{p: p for p in PRIORITIES},
}
# What a move to each status does to the card's task (docs/notion.md).
_EXECUTE_ON = frozenset({"in_progress"})
_CANCEL_ON = frozenset({"suspended", "blocked"})
_RUNNING = frozenset({"assigned", "claimed", "in_progress"})


class NotionBridge:
    """The two callbacks the original set on a NotionIntegration, bound to a pipeline."""

    def __init__(self, pipeline: TaskExecutionPipeline) -> None:
        self.pipeline = pipeline
        self._lock = threading.Lock()
        # The caller's task id (the original's Neo4j id) -> taskexec's task id,
        # for cards whose task taskexec already had under its own id.
        self._ids: dict[str, str] = {}

    def on_new_task(self, task: Mapping[str, Any]) -> str:
        """The original's new-task callback: ``task`` has ``id``, ``description`` (the
        card's title), ``type``, ``priority``, ``assigned_to``, ``notion_page_id`` and
        ``notion_url``. Adds the card's task unless it has one, and runs it when this
        call added it; returns taskexec's task id. A task dict without a title or with
        a malformed page id raises BadRequest; a service that cannot be reached raises
        ServiceUnavailable, so the caller can announce the card again."""
        if not isinstance(task, Mapping):
            raise BadRequest(f"new Notion task: expected a dict, got {type(task).__name__}",
                             code="invalid_argument")
        title = _text(task, "description") or _text(task, "title")
        if not title:
            raise BadRequest(f"new Notion task {task.get('id')!r}: no title (description)",
                             code="invalid_argument")
        caller_id = _text(task, "id")
        agent = _text(task, "assigned_to")
        added, created = self._add(
            title, caller_id, type=_text(task, "type"),
            priority=self._priority(task), agent=agent if agent and agent != "any" else None,
            notion_page_id=_text(task, "notion_page_id"), notion_url=_text(task, "notion_url"))
        task_id = str(added["id"])
        if caller_id and caller_id != task_id:
            with self._lock:
                self._ids[caller_id] = task_id
        if created:
            self._execute(task_id)
        else:
            log.info("Notion card %s already has task %s (%s): not added again",
                     task.get("notion_page_id"), task_id, added.get("status"))
        return task_id

    def on_status_change(self, task_id: str, old_status: str, new_status: str) -> None:
        """The original's status-change callback, in the store's status names: to
        in_progress runs the task, to suspended or blocked cancels its running attempt
        (the service stops the agent); any other move is only logged."""
        if new_status not in TASK_STATUSES:
            raise BadRequest(f"status change of {task_id!r}: unknown status {new_status!r} "
                             f"(expected one of {', '.join(TASK_STATUSES)})",
                             code="invalid_argument")
        with self._lock:
            ours = self._ids.get(task_id, task_id)
        if new_status in _EXECUTE_ON:
            self._execute(ours)
        elif new_status in _CANCEL_ON:
            try:
                current = self.pipeline.get_task(ours)
            except TaskNotFound:
                log.warning("card of unknown task %s moved to %s: nothing to stop", task_id,
                            new_status)
                return
            if current.get("status") in _RUNNING:
                self.pipeline.cancel_task(ours)
                log.info("task %s moved %s -> %s: its attempt is cancelled", ours, old_status,
                         new_status)
        else:
            log.info("task %s moved %s -> %s: recorded only", ours, old_status, new_status)

    def _add(self, title: str, caller_id: str | None,
             **fields: Any) -> tuple[dict[str, Any], bool]:
        try:
            return self.pipeline._add_task(title, task_id=caller_id, **fields)
        except Conflict:
            # The caller's id is taken: by this card's task (an earlier call whose
            # answer was lost), else it is no id to keep.
            if caller_id is None:
                raise
            try:
                existing = self.pipeline.get_task(caller_id)
            except TaskNotFound:
                existing = None
            page = fields.get("notion_page_id")
            if existing is not None and (page is None or _same_page(existing, page)):
                return existing, False
            log.warning("task id %s is taken by another task: the card gets a new id",
                        caller_id)
            return self.pipeline._add_task(title, **fields)

    def _execute(self, task_id: str) -> None:
        try:
            self.pipeline.manually_execute_task(task_id)
        except Conflict as e:
            # Already running or already asked to run: the move wanted exactly that.
            log.info("task %s: not started again (%s)", task_id, e.message)
        except TaskNotFound:
            log.warning("card of unknown task %s moved to in_progress: nothing to run",
                        task_id)

    @staticmethod
    def _priority(task: Mapping[str, Any]) -> str | None:
        given = _text(task, "priority")
        if not given:
            return None
        name = _PRIORITY_NAMES.get(given.strip().lower())
        if name is None:
            log.warning("Notion task %r: unknown priority %r, left at the default",
                        task.get("id"), given)
        return name


def _text(task: Mapping[str, Any], key: str) -> str | None:
    value = task.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"new Notion task {task.get('id')!r}: {key}: expected a string, got "
                         f"{type(value).__name__}", code="invalid_argument")
    return value.strip() or None


def _same_page(task: Mapping[str, Any], page_id: str) -> bool:
    def bare(s: Any) -> str:
        return str(s or "").replace("-", "").lower()
    return bare(task.get("notion_page_id")) == bare(page_id)


def integrate_with_notion(notion_integration: Any, memory: Any = None,
                          **kwargs: Any) -> TaskExecutionPipeline:
    """Starts a pipeline (``kwargs`` as TaskExecutionPipeline takes them) and sets
    ``notion_integration._on_new_task_callback`` and ``_on_status_change_callback``
    as the original did; returns the started pipeline."""
    if notion_integration is None or isinstance(notion_integration, (str, bytes, Mapping)):
        raise BadRequest("notion_integration: expected the NotionIntegration object whose "
                         "callbacks are to be set", code="invalid_argument")
    pipeline = TaskExecutionPipeline(memory, **kwargs).start()
    bridge = NotionBridge(pipeline)
    try:
        notion_integration._on_new_task_callback = bridge.on_new_task
        notion_integration._on_status_change_callback = bridge.on_status_change
    except AttributeError as e:
        pipeline.stop()
        raise BadRequest(f"notion_integration: its callbacks cannot be set ({e})",
                         code="invalid_argument") from e
    pipeline.notion_bridge = bridge
    return pipeline
