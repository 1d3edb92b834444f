"""The change feed and the original's outcome callbacks against the real binary:
on_task_complete / on_task_fail once per final outcome, events() with each change
once, resumable from a cursor."""

from __future__ import annotations

import queue
import threading
import unittest
from typing import Any

import support  # noqa: F401  (puts the package on sys.path)
from support import ServiceTestCase

from taskexec import BadRequest, Client, Conflict, TaskExecutionPipeline


class OutcomeCallbacksTest(ServiceTestCase):
    def test_each_final_outcome_is_reported_once(self) -> None:
        calls: "queue.Queue[tuple[Any, ...]]" = queue.Queue()
        threads: set[str] = set()

        def completed(task_id: str, summary: str) -> None:
            threads.add(threading.current_thread().name)
            calls.put(("complete", task_id, summary))

        def failed(task_id: str, error_type: str, message: str) -> None:
            calls.put(("fail", task_id, error_type, message))

        with TaskExecutionPipeline(on_task_complete=completed, on_task_fail=failed) as pipeline:
            ok = pipeline.add_task("Summarise the meeting notes")
            bad = pipeline.add_task("Break on purpose fake-mode=fail")
            got = [calls.get(timeout=60), calls.get(timeout=60)]
            by_kind = {c[0]: c for c in got}
            self.assertEqual(by_kind["complete"][1], ok)
            self.assertIn("fake agent finished", by_kind["complete"][2])
            self.assertEqual(by_kind["fail"][1], bad)
            self.assertEqual(by_kind["fail"][2], "execution_error")
            self.assertIn("fake failure requested", by_kind["fail"][3])

            # A later write to a finished task (a re-read, an edit) is no new outcome;
            # running it again is.
            try:
                pipeline.cancel_task(ok)  # a finished task: no new outcome either way
            except Conflict:
                pass
            attempt = pipeline.manually_execute_task(bad, agent="mongke")
            self.assertTrue(attempt)
            again = calls.get(timeout=60)
            self.assertEqual(again[:3], ("fail", bad, "execution_error"))
            # Outcomes arrive in the order tasks finished: a later task's outcome is
            # the next call, with no repeat of an earlier one before it.
            sentinel = pipeline.add_task("Close the loop")
            self.assertEqual(calls.get(timeout=60)[:2], ("complete", sentinel))
            self.assertTrue(calls.empty(), list(calls.queue))
        self.assertEqual(threads, {"taskexec-outcomes"})

    def test_a_raising_callback_does_not_stop_the_others(self) -> None:
        seen: "queue.Queue[str]" = queue.Queue()

        def completed(task_id: str, summary: str) -> None:
            seen.put(task_id)
            raise RuntimeError("the caller's bug")

        with TaskExecutionPipeline(on_task_complete=completed) as pipeline:
            with self.assertLogs("taskexec.events", level="ERROR"):
                first = pipeline.add_task("First report")
                self.assertEqual(seen.get(timeout=60), first)
                second = pipeline.add_task("Second report")
                self.assertEqual(seen.get(timeout=60), second)

    def test_callbacks_must_be_callable(self) -> None:
        with self.assertRaises(BadRequest):
            TaskExecutionPipeline(on_task_complete="print")  # type: ignore[arg-type]


class EventsTest(ServiceTestCase):
    auto_assign = False

    def test_events_yield_each_change_once_and_resume_from_a_cursor(self) -> None:
        with TaskExecutionPipeline() as pipeline:
            before = pipeline.add_task("Happened before the feed")
            feed = pipeline.events(timeout=60)
            task_id = pipeline.add_task("Draft the release notes")
            pipeline.manually_execute_task(task_id)
            states: list[str] = []
            versions: list[int] = []
            cursor = ""
            for event in feed:
                self.assertNotEqual(event["task"]["id"], before)
                self.assertEqual(event["task"]["id"], task_id)
                states.append(event["task"]["status"])
                versions.append(event["task"]["version"])
                cursor = event["cursor"]
                if event["task"]["status"] == "completed":
                    break
            # The first poll comes when iteration starts: changes before it arrive as
            # the task's state then (pending, assigned or already running).
            self.assertIn(states[0], ("pending", "assigned", "in_progress"))
            self.assertEqual(states[-1], "completed")
            self.assertEqual(versions, sorted(set(versions)), states)  # each change once

            # Resuming after the last cursor: nothing new until something changes.
            resumed = pipeline.events(after=cursor, timeout=2.5, poll=0.05)
            pipeline.cancel_task(before)
            changes = [(e["task"]["id"], e["task"]["status"]) for e in resumed]
            self.assertEqual([c for c in changes if c[0] == before], [(before, "cancelled")])
            self.assertTrue(all(c == (task_id, "completed") for c in changes if c[0] != before),
                            changes)

            # From the beginning: both tasks, each once, in their latest state.
            everything = pipeline.events(after="", timeout=0.2)
            latest = {e["task"]["id"]: e["task"]["status"] for e in everything}
            self.assertEqual(latest, {before: "cancelled", task_id: "completed"})

    def test_the_feed_refuses_bad_cursors(self) -> None:
        with TaskExecutionPipeline() as pipeline:
            with self.assertRaises(BadRequest):
                pipeline.events(after="yesterday")
            api = Client(pipeline.url)
            with self.assertRaises(BadRequest) as e:
                api.get("/api/v1/events", {"after": "x:1"})
            self.assertIn("after", str(e.exception))
            with self.assertRaises(BadRequest):
                api.get("/api/v1/events", {"limit": 0})
            with self.assertRaises(BadRequest):
                api.get("/api/v1/events", {"since": "now"})
            page = api.get("/api/v1/events", {"after": "now"}).json()
            self.assertEqual(page["events"], [])
            self.assertRegex(page["next"], r"^\d+:$")


if __name__ == "__main__":
    unittest.main()
