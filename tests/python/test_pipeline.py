"""The Python package against the real taskexec binary: the seed's examples, copied
with only the import line changed, the original's operations, what becomes of the
owned service, and every exception type."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unittest

import support  # noqa: F401  (puts the package on sys.path)
from support import ServiceTestCase, process_alive, wait_until_gone

from taskexec import (BadRequest, Client, Conflict, ServiceUnavailable, TaskExecError,
                      TaskExecutionPipeline, TaskNotFound, Unauthorized)
from taskexec.pipeline import neo4j_settings


class SeedExamplesTest(ServiceTestCase):
    """`../shared/reference/seed.md`, "Usage Examples", run in a fresh interpreter."""

    def test_quick_start_runs_tasks_and_leaves_no_service_at_exit(self) -> None:
        r = self.run_python("""
from taskexec import TaskExecutionPipeline
from openclaw_memory import OperationalMemory

memory = OperationalMemory()
pipeline = TaskExecutionPipeline(memory)
pipeline.start()
# Tasks now auto-execute
import json
task_id = pipeline.add_task("Research the EU market", "Sizes and players")
task = pipeline.wait(task_id, timeout=60)
print(json.dumps({"pid": pipeline.service.pid, "task": task}))
""")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(out["task"]["status"], "completed", out["task"])
        self.assertEqual(out["task"]["claimed_by"], "mongke")  # "research" routes to mongke
        self.assertEqual(len(out["task"]["executions"]), 1)
        # The interpreter ended without stop(): its service went with it.
        self.assertTrue(wait_until_gone(out["pid"]), "the owned service outlived Python")

    def test_with_custom_mapping_routes_by_the_callers_table(self) -> None:
        r = self.run_python("""
from taskexec import TaskExecutionPipeline
from openclaw_memory import OperationalMemory
memory = OperationalMemory()

pipeline = TaskExecutionPipeline(
    memory=memory,
    agent_mapping={
        'security': 'jochi',
        'frontend': 'temujin',
    }
)
pipeline.start()
import json
a = pipeline.wait(pipeline.add_task("Security review of the login page"), timeout=60)
b = pipeline.wait(pipeline.add_task("Frontend polish for the dashboard"), timeout=60)
pipeline.stop()
print(json.dumps([a["claimed_by"], a["status"], b["claimed_by"], b["status"]]))
""")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout.strip().splitlines()[-1]),
                         ["jochi", "completed", "temujin", "completed"])


class ManualExecutionTest(ServiceTestCase):
    auto_assign = False  # tasks wait for an execute, as with the seed's rollback switch

    def test_manual_execution_runs_the_task_on_the_named_agent(self) -> None:
        with TaskExecutionPipeline() as setup:
            setup.add_task("Prepare the quarterly numbers", task_id="task-123")
            self.assertEqual(setup.get_task("task-123")["status"], "pending")
        r = self.run_python("""
from taskexec import TaskExecutionPipeline
pipeline = TaskExecutionPipeline()
pipeline.start()

attempt_id = pipeline.manually_execute_task("task-123", agent="mongke")

import json
task = pipeline.wait("task-123", timeout=60)
attempt = pipeline.get_execution_status(attempt_id)
log = pipeline.logs(attempt_id)
pipeline.stop()
print(json.dumps({"task": task["status"], "attempt": attempt, "log": log}))
""")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(out["task"], "completed")
        attempt = out["attempt"]
        self.assertTrue(attempt["attempt_id"].startswith("exec-"), attempt)
        self.assertEqual(attempt["task_id"], "task-123")
        self.assertEqual(attempt["agent"], "mongke")
        self.assertEqual(attempt["status"], "completed")
        self.assertTrue(attempt["manual"])
        self.assertIsNotNone(attempt["completed_at"])
        self.assertIn("TASK_COMPLETE", out["log"])


class RawApiTest(ServiceTestCase):
    """The endpoints the pipeline does not wrap, through the package's Client, so that
    the contract check (openapi_contract) sees every operation of the API."""

    def test_contract_metrics_and_prune(self) -> None:
        with TaskExecutionPipeline() as pipeline:
            api = Client(pipeline.url)
            doc = api.get("/api/v1/openapi.json").json()
            self.assertEqual(doc["openapi"], "3.1.0")
            self.assertIn("/api/v1/tasks", doc["paths"])
            task_id = pipeline.add_task("Count the queue")
            pipeline.wait(task_id, timeout=60)
            metrics = api.get("/metrics").body.decode()
            self.assertIn("taskexec_tasks", metrics)
            report = api.post("/api/v1/prune", {"finished_before": "2000-01-01T00:00:00Z",
                                                 "dry_run": True}).json()
            self.assertEqual(report["tasks"], 0)
            report = api.post("/api/v1/prune", {"finished_before": "2999-01-01T00:00:00Z",
                                                 "dry_run": True}).json()
            self.assertEqual(report["tasks"], 1)
            self.assertTrue(report["dry_run"])
            with self.assertRaises(BadRequest) as e:
                api.post("/api/v1/prune", {"finished_before": "yesterday"})
            self.assertIn("finished_before", str(e.exception))
            self.assertEqual(pipeline.get_task(task_id)["status"], "completed")

    def test_a_finished_tasks_workspace_is_listed_and_collected(self) -> None:
        with TaskExecutionPipeline() as pipeline:
            task_id = pipeline.add_task("Leave a workspace behind")
            self.assertEqual(pipeline.wait(task_id, timeout=60)["status"], "completed")
            mine = [w for w in pipeline.workspaces() if w["task_id"] == task_id]
            self.assertEqual(len(mine), 1)
            self.assertEqual(mine[0]["task_status"], "completed")
            self.assertEqual(mine[0]["verdict"], "remove")  # workspace.keep = "failed"
            self.assertTrue(os.path.isdir(mine[0]["path"]))
            report = pipeline.collect_workspaces(dry_run=True)
            self.assertTrue(report["dry_run"])
            self.assertIn(task_id, [w["task_id"] for w in report["removed"]])
            self.assertTrue(os.path.isdir(mine[0]["path"]))
            report = pipeline.collect_workspaces()
            self.assertIn(task_id, [w["task_id"] for w in report["removed"]])
            self.assertEqual(report["errors"], [])
            self.assertFalse(os.path.exists(mine[0]["path"]))
            self.assertNotIn(task_id, [w["task_id"] for w in pipeline.workspaces()])
            with self.assertRaises(BadRequest):
                pipeline.collect_workspaces(dry_run="yes")  # type: ignore[arg-type]


class OperationsTest(ServiceTestCase):
    def test_status_lists_active_attempts_and_cancel_stops_them(self) -> None:
        os.environ["FAKE_AGENT_MODE"] = "hang"
        try:
            with TaskExecutionPipeline() as pipeline:
                task_id = pipeline.add_task("Build the importer", agent="temujin")
                deadline = time.monotonic() + 30
                active: list = []
                while not active and time.monotonic() < deadline:
                    active = pipeline.get_status()["active_executions"]
                    time.sleep(0.05)
                self.assertEqual(len(active), 1)
                self.assertEqual(set(active[0]), {"attempt_id", "task_id", "agent", "status",
                                                  "started_at", "session_id"})
                self.assertEqual(active[0]["task_id"], task_id)
                self.assertEqual(active[0]["agent"], "temujin")
                status = pipeline.get_status()
                self.assertTrue(status["running"])
                self.assertEqual(status["status_breakdown"].get("in_progress"), 1, status)
                pipeline.cancel_task(task_id)
                task = pipeline.wait(task_id, timeout=30)
                self.assertEqual(task["status"], "cancelled")
                self.assertEqual(pipeline.list_tasks(status="cancelled")[0]["id"], task_id)
                self.assertEqual(pipeline.list_tasks(status="completed"), [])
        finally:
            os.environ.pop("FAKE_AGENT_MODE", None)

    def test_an_agents_question_is_answered_with_reply(self) -> None:
        os.environ["FAKE_AGENT_MODE"] = "ask"
        try:
            with TaskExecutionPipeline() as pipeline:
                task_id = pipeline.add_task("Paint the shelves")
                task = pipeline.wait(task_id, timeout=30)
                self.assertEqual(task["status"], "needs_input")
                self.assertEqual(task["question"], "Which colour should the shelves be?")
                with self.assertRaises(BadRequest):
                    pipeline.reply(task_id, "  ")
                self.assertEqual(pipeline.reply(task_id, "sea blue")["status"], "pending")
                with self.assertRaises(Conflict):
                    pipeline.reply(task_id, "red")
                task = pipeline.wait(task_id, timeout=30)
                self.assertEqual(task["status"], "completed")
                self.assertEqual(task["output_summary"], "told sea blue")
        finally:
            os.environ.pop("FAKE_AGENT_MODE", None)

    def test_dependencies_hold_a_task_back_until_released(self) -> None:
        with TaskExecutionPipeline() as pipeline:
            first = pipeline.add_task("Design the schema")
            second = pipeline.add_task("Build the API", blocked_by=[first])
            done = pipeline.wait(second, timeout=60)
            self.assertEqual(done["status"], "completed")
            self.assertEqual(done["blocked_by"], [first])
            self.assertEqual(done["waiting_on"], [])
            self.assertGreaterEqual(done["started_at"],
                                    pipeline.get_task(first)["completed_at"])
            self.assertEqual([d["id"] for d in pipeline.get_task(first)["dependents"]],
                             [second])
        os.environ["FAKE_AGENT_MODE"] = "hang"
        try:
            with TaskExecutionPipeline() as pipeline:
                first = pipeline.add_task("Migrate the data")
                second = pipeline.add_task("Switch over", blocked_by=[first])
                held = pipeline.list_tasks(blocked=True)
                self.assertEqual([t["id"] for t in held], [second])
                self.assertEqual(held[0]["waiting_on"], [first])
                deadline = time.monotonic() + 30
                while (pipeline.get_task(first)["status"] != "in_progress"
                       and time.monotonic() < deadline):
                    time.sleep(0.05)
                third = pipeline.add_task("Announce it", blocked_by=[second])
                with self.assertRaises(BadRequest) as e:
                    pipeline.update_task(second, blocked_by=[first, third])
                self.assertIn(f"{second} -> {third} -> {second}", str(e.exception))
                with self.assertRaises(Conflict):
                    pipeline.update_task(first, title="runs now")  # an agent runs it
                with self.assertRaises(BadRequest):
                    pipeline.update_task(second, blocked_by=first)  # type: ignore[arg-type]
                pipeline.cancel_task(first)  # the executor stops the session
                self.assertEqual(pipeline.wait(first, timeout=30)["status"], "cancelled")
                blocked = pipeline.get_task(second)
                self.assertEqual(blocked["status"], "blocked")
                self.assertEqual(blocked["error_type"], "dependency_failed")
                self.assertEqual(blocked["dependencies"][0]["status"], "cancelled")
                with self.assertRaises(Conflict):
                    pipeline.manually_execute_task(second)
                released = pipeline.update_task(second, blocked_by=[], priority="high")
                self.assertEqual(released["status"], "pending")
                self.assertEqual(released["blocked_by"], [])
                self.assertEqual([t["id"] for t in pipeline.list_tasks(blocked=True)], [third])
                pipeline.cancel_task(second)
        finally:
            os.environ.pop("FAKE_AGENT_MODE", None)

    def test_a_spent_budget_stops_the_task_until_forced(self) -> None:
        os.environ["FAKE_AGENT_MODE"] = "fail-retryable"
        try:
            with TaskExecutionPipeline() as pipeline:
                with self.assertRaises(BadRequest):
                    pipeline.add_task("x", max_attempts=-1)
                task_id = pipeline.add_task("Call the flaky API", max_attempts=1)
                task = pipeline.wait(task_id, timeout=30)
                self.assertEqual(task["status"], "failed")
                self.assertEqual(task["error_type"], "budget_exhausted")
                self.assertIn("1 attempt reached the limit of 1 (the task's max_attempts)",
                              task["error_message"])
                self.assertEqual(task["attempts"], 1)
                self.assertEqual(task["max_attempts"], 1)
                with self.assertRaises(Conflict) as refused:
                    pipeline.manually_execute_task(task_id)
                self.assertIn("budget exhausted", str(refused.exception))
                attempt = pipeline.manually_execute_task(task_id, force=True)
                self.assertTrue(attempt.startswith("exec-"))
                task = pipeline.wait(task_id, timeout=30)
                self.assertEqual(task["status"], "failed")
                self.assertEqual(task["error_type"], "budget_exhausted")
                self.assertEqual(task["attempts"], 2)
        finally:
            os.environ.pop("FAKE_AGENT_MODE", None)

    def test_a_usage_limit_pauses_the_agent_and_keeps_the_task(self) -> None:
        with TaskExecutionPipeline() as pipeline:
            task_id = pipeline.add_task("Draft the notes fake-mode=usage-limit", agent="kublai")

            def paused() -> dict | None:
                for a in pipeline.agents():
                    if a["name"] == "kublai" and a["paused"]:
                        return a
                return None
            deadline = time.monotonic() + 30
            while paused() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            agent = paused()
            self.assertIsNotNone(agent)
            self.assertEqual(agent["paused"]["reason"], "usage_limit")
            self.assertIn("Claude AI usage limit reached", agent["paused"]["message"])
            self.assertEqual(agent["daily_limit_usd"], 0)
            task = pipeline.get_task(task_id)
            self.assertEqual(task["status"], "pending")  # waits for the reset
            self.assertEqual(task["error_type"], "usage_limit")
            self.assertEqual(task["retry_count"], 0)
            # Cancelled first, so that nothing runs into the limit again.
            self.assertEqual(pipeline.cancel_task(task_id)["status"], "cancelled")
            with self.assertRaises(BadRequest):
                pipeline.resume_agent("")
            self.assertIsNone(pipeline.resume_agent("kublai")["paused"])
            with self.assertRaises(Conflict):
                pipeline.resume_agent("kublai")

    def test_wait_times_out_and_stop_is_idempotent(self) -> None:
        os.environ["FAKE_AGENT_MODE"] = "hang"
        try:
            pipeline = TaskExecutionPipeline().start()
            pid = pipeline.service.pid
            task_id = pipeline.add_task("Watch the queue")
            with self.assertRaises(TimeoutError):
                pipeline.wait(task_id, timeout=0.3)
            pipeline.stop()
            pipeline.stop()
            self.assertFalse(process_alive(pid))
            with self.assertRaises(TaskExecError) as e:
                pipeline.get_status()
            self.assertEqual(e.exception.code, "not_started")
        finally:
            os.environ.pop("FAKE_AGENT_MODE", None)

    def test_a_killed_caller_takes_its_service_along(self) -> None:
        child = subprocess.Popen(
            [sys.executable, "-c", """
import sys, time
from taskexec import TaskExecutionPipeline
p = TaskExecutionPipeline().start()
print(p.service.pid, flush=True)
time.sleep(600)
"""], env=dict(os.environ, PYTHONPATH=os.pathsep.join([support.PYTHON_DIR, support.HERE])),
            stdout=subprocess.PIPE, text=True, cwd=self.dir)
        try:
            pid = int(child.stdout.readline())
            self.assertTrue(process_alive(pid))
            child.send_signal(signal.SIGKILL)
            child.wait()
            self.assertTrue(wait_until_gone(pid), "the service outlived its killed caller")
        finally:
            if child.poll() is None:
                child.kill()
            child.stdout.close()

    def test_a_running_service_with_another_keyword_table_is_refused(self) -> None:
        with TaskExecutionPipeline() as owner:
            pipeline = TaskExecutionPipeline(agent_mapping={"security": "jochi"}, url=owner.url)
            with self.assertRaises(TaskExecError) as e:
                pipeline.start()
            self.assertEqual(e.exception.code, "routing_mismatch")
            self.assertIn("'security'", str(e.exception))
            # The same table is accepted.
            same = TaskExecutionPipeline(agent_mapping={"research": "mongke"}, url=owner.url)
            same.start()
            self.assertIsNotNone(same.get_status())
            same.stop()  # leaves the service it did not start running
            self.assertTrue(owner.get_status()["running"])

    def test_memory_naming_a_neo4j_server_selects_the_neo4j_store(self) -> None:
        class Memory:
            uri = "bolt://graph.internal:7687"
            user = "neo4j"
            password = "s3cret"

        self.assertEqual(neo4j_settings(Memory()), {
            "TASKEXEC_STORE_BACKEND": "neo4j", "NEO4J_URI": "bolt://graph.internal:7687",
            "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": "s3cret"})
        self.assertEqual(neo4j_settings("neo4j+s://db.example.com"),
                         {"TASKEXEC_STORE_BACKEND": "neo4j",
                          "NEO4J_URI": "neo4j+s://db.example.com"})
        self.assertEqual(neo4j_settings(None), {})
        self.assertEqual(neo4j_settings(object()), {})
        # An owned service then really tries that server: refused, it says why.
        address = "127.0.0.1:" + str(_closed_port())
        with self.assertRaises(ServiceUnavailable) as e:
            TaskExecutionPipeline("bolt://" + address, start_timeout=20).start()
        self.assertIn("cannot open the store", str(e.exception))
        self.assertIn(address, str(e.exception))


def _closed_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ListingTest(ServiceTestCase):
    def test_tasks_page_newest_first_with_filters_and_a_total(self) -> None:
        with TaskExecutionPipeline() as pipeline:
            ids = [pipeline.add_task(f"Task {i}", type="ops" if i % 2 else "code",
                                     description="needs the LOGIN page" if i == 3 else "")
                   for i in range(5)]
            self.assertEqual([t["id"] for t in pipeline.list_tasks(limit=2)], [ids[4], ids[3]])
            self.assertEqual([t["id"] for t in pipeline.list_tasks(limit=2, offset=2)],
                             [ids[2], ids[1]])
            self.assertEqual([t["id"] for t in pipeline.list_tasks(order="asc", type="ops")],
                             [ids[1], ids[3]])
            self.assertEqual([t["id"] for t in pipeline.list_tasks(search="login")], [ids[3]])
            self.assertEqual([t["title"] for t in pipeline.list_tasks(sort="title", order="asc")],
                             [f"Task {i}" for i in range(5)])
            self.assertEqual(pipeline.count_tasks(), 5)
            self.assertEqual(pipeline.count_tasks(type="code"), 3)
            with self.assertRaises(BadRequest):
                pipeline.list_tasks(sort="colour")
            with self.assertRaises(BadRequest):
                pipeline.list_tasks(offset=-1)


class ErrorsTest(ServiceTestCase):
    def test_every_exception_type(self) -> None:
        with TaskExecutionPipeline() as pipeline:
            with self.assertRaises(TaskNotFound) as nf:
                pipeline.get_task("task-nope")
            self.assertEqual((nf.exception.status, nf.exception.code), (404, "not_found"))
            pipeline.add_task("Once", task_id="task-once")
            with self.assertRaises(Conflict) as c:
                pipeline.add_task("Twice", task_id="task-once")
            self.assertEqual(c.exception.status, 409)
            # Refused before any request...
            with self.assertRaises(BadRequest):
                pipeline.add_task("x", priority="urgent")
            with self.assertRaises(BadRequest):
                pipeline.list_tasks(limit=0)
            with self.assertRaises(BadRequest):
                pipeline.get_task("../status")
            # ... and by the service.
            with self.assertRaises(BadRequest) as br:
                Client(pipeline.url).post("/api/v1/tasks", {"title": "x", "bogus": 1})
            self.assertEqual(br.exception.code, "invalid_argument")
            self.assertIn("bogus", br.exception.message)
        with self.assertRaises(ServiceUnavailable):
            TaskExecutionPipeline(url="http://127.0.0.1:" + str(_closed_port())).start()
        with self.assertRaises(ServiceUnavailable) as missing:
            TaskExecutionPipeline(binary="/nonexistent/taskexec").start()
        self.assertEqual(missing.exception.code, "binary_not_found")

    def test_the_token_is_sent_and_never_shown(self) -> None:
        token = "tok-" + "x" * 30
        with TaskExecutionPipeline(token=token) as owner:
            self.assertTrue(owner.get_status()["running"])
            wrong = TaskExecutionPipeline(url=owner.url, token="not-the-token")
            with self.assertRaises(Unauthorized) as e:
                wrong.start()
            self.assertNotIn("not-the-token", str(e.exception))
            self.assertNotIn("not-the-token", repr(e.exception))
            client = Client(owner.url, token)
            self.assertNotIn(token, repr(client))
            self.assertNotIn(token, repr(owner))
            with self.assertRaises(Unauthorized):
                Client(owner.url).get("/api/v1/status")


if __name__ == "__main__":
    unittest.main()
