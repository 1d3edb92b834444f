"""Exceptions raised by the taskexec package.

Every error the service reports arrives as ``{"error": {"code", "message"}}``
and becomes one of these, carrying the code, the message and the HTTP status.
The bearer token is never part of an exception's text.
"""

from __future__ import annotations


class TaskExecError(Exception):
    """Base class: something taskexec refused or could not do."""

    def __init__(self, message: str, *, code: str = "error", status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def __str__(self) -> str:
        prefix = f"{self.status} {self.code}" if self.status else self.code
        return f"{prefix}: {self.message}"


class BadRequest(TaskExecError):
    """The request was refused as malformed or invalid (HTTP 400, 405, 413, 415), or an
    argument was refused before any request was made."""


class Unauthorized(TaskExecError):
    """The service wants a bearer token, or a different one (HTTP 401)."""


class TaskNotFound(TaskExecError):
    """No task or attempt with that id (HTTP 404)."""


class Conflict(TaskExecError):
    """The request conflicts with the task's state: held by an executor, already
    requested, duplicate id (HTTP 409)."""


class ServiceUnavailable(TaskExecError):
    """The service cannot be reached or cannot serve now (connection refused, timeout,
    HTTP 502/503/504), or an owned service failed to start."""


def error_for_status(status: int, code: str, message: str) -> TaskExecError:
    """The exception for an error answer of the service."""
    if status == 401:
        cls: type[TaskExecError] = Unauthorized
    elif status == 404:
        cls = TaskNotFound
    elif status == 409:
        cls = Conflict
    elif status in (400, 405, 413, 415):
        cls = BadRequest
    elif status in (502, 503, 504):
        cls = ServiceUnavailable
    else:
        cls = TaskExecError
    return cls(message, code=code, status=status)
