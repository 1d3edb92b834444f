"""Shared set-up for the Python package's tests: a configuration for owned services
(the scripted fake agent, a store and folders in a temporary directory) handed over
the way a user would, through TASKEXEC_CONFIG and TASKEXEC_BINARY."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get("TASKEXEC_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("TASKEXEC_BINARY") or os.path.join(
    os.environ.get("TASKEXEC_BINARY_DIR", os.path.join(SOURCE_DIR, "build")), "taskexec")
PYTHON_DIR = os.path.join(SOURCE_DIR, "python")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def write_config(directory: str, *, auto_assign: bool = True, token: str = "") -> str:
    agent = [os.path.join(SOURCE_DIR, "tests", "fakes", "fake_agent.sh"), "--agent", "{agent}",
             "--label", "task-{task_id}", "--prompt", "{prompt}"]
    path = os.path.join(directory, "taskexec.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""[store]
db_path = {json.dumps(os.path.join(directory, "tasks.db"))}

[executor]
max_retries = 1
retry_delay_seconds = 0
store_poll_ms = 50
poll_interval_seconds = 1
shutdown_grace_seconds = 2
auto_assign = {"true" if auto_assign else "false"}

[agent]
command = {json.dumps(agent)}
pass_env = ["FAKE_AGENT_*"]
work_dir = {json.dumps(os.path.join(directory, "work"))}
log_dir = {json.dumps(os.path.join(directory, "logs"))}
timeout_seconds = 60
kill_grace_seconds = 1

[server]
token = {json.dumps(token)}
""")
    return path


def process_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its parent counts as gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return False


def wait_until_gone(pid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.05)
    return not process_alive(pid)


class ServiceTestCase(unittest.TestCase):
    """Each test gets its own directory and configuration, in the environment an
    owned service reads (TASKEXEC_CONFIG, TASKEXEC_BINARY)."""

    auto_assign = True

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="taskexec-pytest-")
        self.dir = self._tmp.name
        self.config = write_config(self.dir, auto_assign=self.auto_assign)
        self._saved = {k: os.environ.get(k) for k in ("TASKEXEC_CONFIG", "TASKEXEC_BINARY",
                                                       "TASKEXEC_URL", "TASKEXEC_TOKEN")}
        os.environ["TASKEXEC_CONFIG"] = self.config
        os.environ["TASKEXEC_BINARY"] = BINARY
        os.environ.pop("TASKEXEC_URL", None)
        os.environ.pop("TASKEXEC_TOKEN", None)

    def tearDown(self) -> None:
        for k, v in self._saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        self._tmp.cleanup()

    def run_python(self, code: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        """Runs `code` in a fresh interpreter with the package and the stand-in
        modules importable, in this test's environment."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([PYTHON_DIR, HERE])
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=timeout, cwd=self.dir)
