"""taskexec for Python: the original TaskExecutionPipeline API, run by a taskexec service.

    from taskexec import TaskExecutionPipeline

    pipeline = TaskExecutionPipeline(memory)
    pipeline.start()

See docs/python.md for the migration from the original, call by call.
"""

from .client import Client
from .errors import (BadRequest, Conflict, ServiceUnavailable, TaskExecError, TaskNotFound,
                     Unauthorized)
from .pipeline import TaskExecutionPipeline
from .service import OwnedService

__all__ = [
    "BadRequest",
    "Client",
    "Conflict",
    "OwnedService",
    "ServiceUnavailable",
    "TaskExecError",
    "TaskExecutionPipeline",
    "TaskNotFound",
    "Unauthorized",
]
__version__ = "0.1.0"
