"""The governed model lifecycle every domain uses, and the tools it runs on.

Importing this package is cheap: Ray, numpy and process pools load on first use.
"""

from pharmakon.core.executor import (
    BACKENDS,
    CancelToken,
    Executor,
    LocalExecutor,
    RayExecutor,
    SerialExecutor,
    TaskError,
    available_backends,
    chunked,
    get_executor,
    spawn_seeds,
)

__all__ = [
    "BACKENDS",
    "CancelToken",
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "SerialExecutor",
    "TaskError",
    "available_backends",
    "chunked",
    "get_executor",
    "spawn_seeds",
]
