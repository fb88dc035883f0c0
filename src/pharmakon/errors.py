"""Exceptions every layer shares.

Each class carries a message meant for a person: it names the thing that is wrong
(file, row, field, parameter) and, where one exists, the way out. The CLI turns any
:class:`PharmakonError` into that message on stderr and a non-zero exit code; the API
turns it into an HTTP error with the same text. Nothing else in pharmakon should print
a traceback to a user.
"""

from __future__ import annotations

__all__ = [
    "PharmakonError",
    "ConfigError",
    "StoreError",
    "NotFoundError",
    "InputError",
    "ChecksumMismatchError",
    "AuthenticationError",
    "PermissionDeniedError",
    "CancelledError",
    "NotFittedError",
]


class PharmakonError(Exception):
    """Base class of every error pharmakon raises on purpose.

    Attributes
    ----------
    exit_code : int
        Process exit status the CLI uses for this kind of error.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class ConfigError(PharmakonError):
    """A setting or configuration file is missing, malformed or unsafe."""

    exit_code = 2


class StoreError(PharmakonError):
    """The store cannot be opened or written (corrupt file, unreachable server...)."""

    exit_code = 3


class NotFoundError(PharmakonError, LookupError):
    """A named thing (data set, user, model, event) does not exist."""

    exit_code = 4


class InputError(PharmakonError, ValueError):
    """Bad user input; the message names the file, row and field where known."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file is not None else "",
                f"row {row}" if row is not None else "",
                f"field {field!r}" if field is not None else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.row, self.field = file, row, field


class ChecksumMismatchError(PharmakonError):
    """A downloaded or mirrored file does not have the catalogued SHA-256."""

    exit_code = 5


class AuthenticationError(PharmakonError):
    """Credentials are missing, wrong, expired or belong to a disabled user."""

    exit_code = 6


class PermissionDeniedError(PharmakonError):
    """The user is authenticated but their role does not allow the action."""

    exit_code = 7


class CancelledError(PharmakonError):
    """Long-running work was cancelled by its caller."""

    exit_code = 130


class NotFittedError(PharmakonError, ValueError, AttributeError):
    """An estimator, featurizer or model was used before ``fit``.

    Subclasses ``ValueError`` and ``AttributeError`` as scikit-learn's own
    ``NotFittedError`` does, so ``check_is_fitted``-style callers catch it.
    """

    exit_code = 2
