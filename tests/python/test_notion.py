"""integrate_with_notion against the real binary, driven by a stand-in NotionIntegration:
an object with the two callback attributes the original set, called the way the
original's Notion sync called them."""

from __future__ import annotations

import os
import time
import unittest
from typing import Any

import support  # noqa: F401  (puts the package on sys.path)
from support import ServiceTestCase

from taskexec import BadRequest, TaskExecutionPipeline, integrate_with_notion

PAGE = "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"
OTHER_PAGE = "2a3b4c5d6e7f48a9b0c1d2e3f4a5b6c7"


class StandInNotionIntegration:
    """The original's NotionIntegration as far as the executor saw it: two callback
    attributes, set from outside and called by its polling loop."""

    def __init__(self) -> None:
        self._on_new_task_callback: Any = None
        self._on_status_change_callback: Any = None

    def new_card(self, task: dict[str, Any]) -> Any:
        return self._on_new_task_callback(task)

    def card_moved(self, task_id: str, old: str, new: str) -> None:
        self._on_status_change_callback(task_id, old, new)


def card(task_id: str, page: str = PAGE, **extra: Any) -> dict[str, Any]:
    task = {"id": task_id, "description": "Review the pricing page copy", "type": "notion_task",
            "priority": "P1", "assigned_to": "any", "notion_page_id": page,
            "notion_url": "https://www.notion.so/Review-" + page.replace("-", "")}
    task.update(extra)
    return task


def wait_for(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


class NewCardTest(ServiceTestCase):
    auto_assign = False  # only the callback can have started the task

    def test_a_new_card_becomes_one_task_that_runs_however_often_it_is_announced(self) -> None:
        notion = StandInNotionIntegration()
        with integrate_with_notion(notion, None) as pipeline:
            status = pipeline.get_status()
            self.assertTrue(status["running"])
            self.assertEqual((status["refusing_work"], status["kept_outcomes"]), ("", 0))
            first = notion.new_card(card("neo-task-1"))
            again = notion.new_card(card("neo-task-1"))
            self.assertEqual(first, "neo-task-1")
            self.assertEqual(again, first)
            task = pipeline.wait(first, timeout=60)
            self.assertEqual(task["status"], "completed", task)
            self.assertEqual(task["title"], "Review the pricing page copy")
            self.assertEqual(task["priority"], "high")
            self.assertEqual(task["notion_page_id"], PAGE)
            self.assertEqual(len(task["executions"]), 1)
            self.assertEqual(len(pipeline.list_tasks()), 1)
            # Announced once more after it finished: still the same task, not rerun.
            self.assertEqual(notion.new_card(card("neo-task-1")), first)
            self.assertEqual(len(pipeline.get_task(first)["executions"]), 1)

    def test_a_card_taskexec_already_imported_is_not_added_again(self) -> None:
        with TaskExecutionPipeline() as setup:
            # What taskexec's own Notion sync leaves: the card's task under its own id,
            # linked by the page id (here without dashes, as a page URL has it).
            imported = setup.add_task("Review the pricing page copy",
                                      notion_page_id=OTHER_PAGE)
        notion = StandInNotionIntegration()
        with integrate_with_notion(notion) as pipeline:
            got = notion.new_card(card("neo-task-2", page=OTHER_PAGE))
            self.assertEqual(got, imported)
            self.assertEqual(len(pipeline.list_tasks()), 1)
            self.assertEqual(pipeline.get_task(imported)["executions"], [])  # not run by us
            # The original's id now names that task for moves.
            notion.card_moved("neo-task-2", "pending", "in_progress")
            self.assertEqual(pipeline.wait(imported, timeout=60)["status"], "completed")

    def test_a_bad_card_is_refused_with_the_reason(self) -> None:
        notion = StandInNotionIntegration()
        with integrate_with_notion(notion) as pipeline:
            for bad, words in ((card("neo-3", description=""), "no title"),
                               (card("neo-3", page="not-a-page"), "notion_page_id"),
                               (card("neo-3", priority=2), "priority"),
                               ("neo-3", "expected a dict")):
                with self.assertRaises(BadRequest) as e:
                    notion.new_card(bad)  # type: ignore[arg-type]
                self.assertIn(words, str(e.exception))
            with self.assertRaises(BadRequest):
                notion.card_moved("neo-3", "pending", "started")
            self.assertEqual(pipeline.list_tasks(), [])
            # An unknown priority is dropped, not the card.
            task_id = notion.new_card(card("neo-4", priority="whenever"))
            self.assertEqual(pipeline.get_task(task_id)["priority"], "normal")

    def test_integration_object_is_checked(self) -> None:
        with self.assertRaises(BadRequest):
            integrate_with_notion(None)
        with self.assertRaises(BadRequest):
            integrate_with_notion({"_on_new_task_callback": None})


class MovedCardTest(ServiceTestCase):
    auto_assign = False

    def setUp(self) -> None:
        super().setUp()
        os.environ["FAKE_AGENT_MODE"] = "hang"

    def tearDown(self) -> None:
        os.environ.pop("FAKE_AGENT_MODE", None)
        super().tearDown()

    def test_moves_run_stop_and_are_recorded_as_the_move_table_says(self) -> None:
        notion = StandInNotionIntegration()
        with integrate_with_notion(notion) as pipeline:
            task_id = notion.new_card(card("neo-task-5"))
            running = wait_for(lambda: pipeline.get_status()["active_executions"])
            self.assertEqual(running[0]["task_id"], task_id)

            # Blocked: the running attempt is cancelled and its agent stopped.
            notion.card_moved(task_id, "in_progress", "blocked")
            task = pipeline.wait(task_id, timeout=30)
            self.assertEqual(task["status"], "cancelled")
            self.assertEqual(pipeline.get_status()["active_executions"], [])

            # Pending review of a task that does not run: recorded only.
            notion.card_moved(task_id, "blocked", "pending_review")
            self.assertEqual(pipeline.get_task(task_id)["status"], "cancelled")

            # Back to In Progress: a new attempt; a second move there starts nothing more.
            notion.card_moved(task_id, "pending_review", "in_progress")
            notion.card_moved(task_id, "in_progress", "in_progress")
            running = wait_for(lambda: pipeline.get_status()["active_executions"])
            self.assertEqual(len(running), 1)
            self.assertEqual(len(pipeline.get_task(task_id)["executions"]), 2)

            # Suspended stops it again.
            notion.card_moved(task_id, "in_progress", "suspended")
            self.assertEqual(pipeline.wait(task_id, timeout=30)["status"], "cancelled")

            # A move of a card taskexec never saw changes nothing and raises nothing.
            notion.card_moved("neo-unknown", "pending", "in_progress")
            notion.card_moved("neo-unknown", "in_progress", "blocked")


if __name__ == "__main__":
    unittest.main()
