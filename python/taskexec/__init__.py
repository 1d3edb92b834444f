"""taskexec for Python: the original TaskExecutionPipeline API, run by a taskexec service.

    from taskexec import TaskExecutionPipeline, integrate_with_notion

    pipeline = TaskExecutionPipeline(memory)
    pipeline.start()

See docs/python.md for the migration from the original, call by call.
"""

from .client import Client
from .errors import (BadRequest, Conflict, ServiceUnavailable, TaskExecError, TaskNotFound,
                     Unauthorized)
from .notion import NotionBridge, integrate_with_notion
from .pipeline import TaskExecutionPipeline
from .service import OwnedService

__all__ = [
    "BadRequest",
    "Client",
    "Conflict",
    "NotionBridge",
    "OwnedService",
    "ServiceUnavailable",
    "TaskExecError",
    "TaskExecutionPipeline",
    "TaskNotFound",
    "Unauthorized",
    "integrate_with_notion",
]
__version__ = "0.1.0"
