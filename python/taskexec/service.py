"""An owned ``taskexec serve``: started by this process, ended with it.

The child listens on a free loopback port and is asked by the kernel to
receive SIGTERM when this process dies (PR_SET_PDEATHSIG), so no service is
left behind when the interpreter exits or is killed; ``stop()`` and an
``atexit`` hook end it first in the ordinary case.

Thread-safety: start() and stop() are serialised by a lock. The kernel sends
the death signal when the *thread* that started the child exits, so start the
service from a thread that lives as long as you need it (normally the main one).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from typing import Mapping

from .client import Client
from .errors import ServiceUnavailable, TaskExecError

_PR_SET_PDEATHSIG = 1


def find_binary(binary: str | None) -> str:
    """The taskexec program: ``binary``, else $TASKEXEC_BINARY, else the one on PATH."""
    candidate = binary or os.environ.get("TASKEXEC_BINARY") or "taskexec"
    found = shutil.which(candidate)
    if found is None:
        raise ServiceUnavailable(
            f"the taskexec program was not found (looked for {candidate!r}); pass binary=, "
            "set TASKEXEC_BINARY, put taskexec on PATH, or pass url= for a running service",
            code="binary_not_found")
    return found


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent(parent_pid: int) -> None:
    """Runs in the child before exec: SIGTERM when the parent goes away."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took hold
        os._exit(1)


_live: "weakref.WeakSet[OwnedService]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for service in list(_live):
        service.stop()


class OwnedService:
    """One ``taskexec [--config FILE] serve --listen 127.0.0.1:PORT`` child."""

    def __init__(self, *, binary: str | None = None, config: str | None = None,
                 env: Mapping[str, str] | None = None, token: str | None = None,
                 start_timeout: float = 30.0, stop_timeout: float = 30.0) -> None:
        self.binary = find_binary(binary)
        if config is not None and not os.path.isfile(config):
            raise TaskExecError(f"config: no such file {config!r}", code="invalid_argument")
        self.config = config
        self.env = dict(env or {})
        self.token = token
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_dir: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = f"pid {self._proc.pid}" if self._proc else "stopped"
        return f"OwnedService({self.url or 'not started'}, {state})"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    @property
    def log_path(self) -> str | None:
        return os.path.join(self._log_dir, "serve.log") if self._log_dir else None

    def log_tail(self, limit: int = 4000) -> str:
        path = self.log_path
        if not path or not os.path.exists(path):
            return ""
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - limit))
            return f.read().decode("utf-8", "replace")

    def start(self) -> str:
        """Starts the service and returns its URL once /healthz answers."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                assert self.url is not None
                return self.url
            self._log_dir = tempfile.mkdtemp(prefix="taskexec-py-")
            # The port is free when picked but could be taken before the
            # child binds it: then the child exits at once and we pick again.
            for _ in range(3):
                port = _free_loopback_port()
                self._spawn(port)
                if self._wait_healthy():
                    _live.add(self)
                    return self.url  # type: ignore[return-value]
                if "address already in use" not in self.log_tail().lower():
                    break
            tail = self.log_tail()
            self._reap()
            raise ServiceUnavailable(
                f"taskexec serve did not start (log {self.log_path}):\n{tail}",
                code="start_failed")

    def _spawn(self, port: int) -> None:
        args = [self.binary]
        if self.config:
            args += ["--config", self.config]
        args += ["serve", "--listen", f"127.0.0.1:{port}"]
        env = dict(os.environ)
        env.update(self.env)
        if self.token:
            env["TASKEXEC_SERVER_TOKEN"] = self.token
        parent = os.getpid()
        log = open(self.log_path, "ab")  # type: ignore[arg-type]
        try:
            self._proc = subprocess.Popen(
                args, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=(lambda: _die_with_parent(parent)) if sys.platform == "linux"
                else None)
        finally:
            log.close()
        self.url = f"http://127.0.0.1:{port}"

    def _wait_healthy(self) -> bool:
        assert self._proc is not None and self.url is not None
        client = Client(self.url, self.token, timeout=2.0, attempts=1)
        deadline = time.monotonic() + self.start_timeout
        delay = 0.02
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            try:
                client.get("/healthz")
                return True
            except TaskExecError:
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        return False

    def stop(self) -> None:
        """Ends the service (SIGTERM, then SIGKILL after stop_timeout). Idempotent."""
        with self._lock:
            self._reap()
            _live.discard(self)

    def _reap(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
