"""A small HTTP client for taskexec's API (docs/http-api.md), standard library only.

Reads and idempotent calls are retried with backoff when the service cannot be
reached, times out, or answers 502/503/504 (or 500 for reads); other calls are
sent once, so a request the service may have carried out is never repeated.

With $TASKEXEC_HTTP_TRACE naming a file, every exchange is appended to it as
one JSON line (method, path and query, status, content types, the request and
response bodies, the X- headers; never the Authorization header): for
debugging, and what the contract test checks against docs/openapi.json.

Thread-safety: a Client holds no connection state; one may be shared by threads.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Mapping

from .errors import ServiceUnavailable, TaskExecError, error_for_status

_RETRY_STATUSES = (502, 503, 504)
_trace_lock = threading.Lock()


def _trace(method: str, url: str, data: bytes | None, headers: Mapping[str, str],
           status: int, response_headers: Any, body: bytes) -> None:
    path = os.environ.get("TASKEXEC_HTTP_TRACE")
    if not path:
        return
    parts = urllib.parse.urlsplit(url)
    record = {
        "method": method,
        "path": parts.path,
        "query": urllib.parse.parse_qsl(parts.query, keep_blank_values=True),
        "request_content_type": headers.get("Content-Type"),
        "request_body": (data or b"").decode("utf-8", "replace"),
        "status": status,
        "response_content_type": response_headers.get("Content-Type") if response_headers
        else None,
        "response_headers": {k: v for k, v in (response_headers or {}).items()
                             if k.lower().startswith("x-") or k.lower() == "location"},
        "response_body": body.decode("utf-8", "replace"),
    }
    with _trace_lock, open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


class Response:
    """A successful answer: status, headers (case-insensitive) and the raw body."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


class Client:
    """Talks to one taskexec service at ``url`` (``http://host:port``)."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 30.0,
                 attempts: int = 4, backoff: float = 0.2) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"url: expected http://host:port, got {url!r}")
        self.url = url.rstrip("/")
        self._token = token or None
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff

    def __repr__(self) -> str:
        return f"Client(url={self.url!r}, token={'***' if self._token else None})"

    def get(self, path: str, query: Mapping[str, Any] | None = None) -> Response:
        return self.request("GET", path, query=query, idempotent=True)

    def post(self, path: str, body: Any = None, *, idempotent: bool = False) -> Response:
        return self.request("POST", path, body=body, idempotent=idempotent)

    def request(self, method: str, path: str, *, query: Mapping[str, Any] | None = None,
                body: Any = None, idempotent: bool = False) -> Response:
        url = self.url + path
        if query:
            pairs = {k: str(v) for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        data = None
        headers = {"Accept": "application/json", "User-Agent": "taskexec-python/0.1"}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = "Bearer " + self._token
        attempts = self.attempts if idempotent else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                return self._send(method, url, data, headers)
            except ServiceUnavailable:
                if last:
                    raise
            except TaskExecError as e:
                # A read may meet a passing 500; a write that got one may have
                # been carried out, so it is not sent again.
                if last or not (idempotent and e.status == 500):
                    raise
            time.sleep(self.backoff * (2 ** attempt))
        raise AssertionError("unreachable")

    def _send(self, method: str, url: str, data: bytes | None,
              headers: Mapping[str, str]) -> Response:
        req = urllib.request.Request(url, data=data, method=method, headers=dict(headers))
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                body = resp.read()
                _trace(method, url, data, headers, resp.status, resp.headers, body)
                return Response(resp.status, resp.headers, body)
        except urllib.error.HTTPError as e:
            raw = e.read()
            _trace(method, url, data, headers, e.code, e.headers, raw)
            code, message = "http_" + str(e.code), raw.decode("utf-8", "replace")[:500]
            try:
                err = json.loads(raw.decode("utf-8"))["error"]
                code, message = str(err["code"]), str(err["message"])
            except (ValueError, KeyError, TypeError):
                pass
            raise error_for_status(e.code, code, message) from None
        except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
            reason = getattr(e, "reason", e)
            raise ServiceUnavailable(f"cannot reach taskexec at {self.url}: {reason}",
                                     code="unreachable") from None
