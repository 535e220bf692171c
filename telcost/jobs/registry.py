"""Step definitions: a name (the seed's command name), its label, its handler and its retry rules.

Apps declare their steps in a `steps.py` module with the @step decorator; the
jobs app imports every app's steps module at start-up (see apps.py).
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.utils import InterfaceError, OperationalError
from django.utils.functional import Promise

from telcost.jobs.errors import PermanentError, TransientError

Handler = Callable[["StepContext"], dict | None]  # noqa: F821 - see telcost.jobs.runner


def is_locked_database(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


def _driver_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """psycopg's own OperationalError and InterfaceError, for code that uses the driver directly."""
    try:
        import psycopg
    except ImportError:  # SQLite-only installs
        return (), ()
    return (psycopg.OperationalError,), (psycopg.InterfaceError,)


# What PostgreSQL and psycopg say when the session is gone: terminated by an administrator
# or a restart, a network that dropped, a server that closed it.
_LOST_CONNECTION_WORDS = (
    "terminating connection",
    "server closed the connection",
    "connection already closed",
    "connection is closed",
    "connection is lost",
    "connection was lost",
    "consuming input failed",
    "could not receive data",
    "could not send data",
    "ssl connection has been closed",
    "no connection to the server",
    "connection refused",
    "could not connect",
    "connection timed out",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
)


def is_lost_connection(exc: BaseException) -> bool:
    """The database connection was lost (Django's wrapper of the driver's error, or the driver's).

    Transient in every step: the engine closes the broken connection and retries the step.
    """
    operational, interface = _driver_errors()
    if isinstance(exc, (InterfaceError, *interface)):
        return True  # errors of the connection itself, not of a statement
    if not isinstance(exc, (OperationalError, *operational)):
        return False
    message = str(exc).lower()
    return any(words in message for words in _LOST_CONNECTION_WORDS)


@dataclass(frozen=True)
class StepDefinition:
    name: str  # stored in Step.name: never renamed
    handler: Handler
    label: str | Promise = (
        ""  # what pages show: gettext_lazy("Calculate totals"), the Dutch in the .po
    )
    max_attempts: int = 3
    # Exceptions besides TransientError, a locked database and a lost connection that deserve
    # a retry.
    transient: tuple[type[BaseException], ...] = field(default_factory=tuple)
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0

    def is_transient(self, exc: BaseException) -> bool:
        if isinstance(exc, PermanentError):
            return False
        return (
            isinstance(exc, (TransientError, *self.transient))
            or is_locked_database(exc)
            or is_lost_connection(exc)
        )

    def backoff_seconds(self, attempt: int) -> float:
        """Exponential with full jitter, so retries of many jobs do not stampede together."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2 ** max(attempt - 1, 0)))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - not for security


_REGISTRY: dict[str, StepDefinition] = {}


def step(
    name: str,
    *,
    label: str | Promise,
    max_attempts: int = 3,
    transient: tuple[type[BaseException], ...] = (),
    backoff_base_s: float = 1.0,
    backoff_max_s: float = 60.0,
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _REGISTRY[name] = StepDefinition(
            name=name,
            handler=handler,
            label=label,
            max_attempts=max_attempts,
            transient=transient,
            backoff_base_s=backoff_base_s,
            backoff_max_s=backoff_max_s,
        )
        return handler

    return register


def get_step(name: str) -> StepDefinition:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"No step named {name!r} is registered") from None


def step_label(name: str) -> str:
    """The step's label in the active language; an unknown step shows its name."""
    definition = _REGISTRY.get(name)
    return str(definition.label or name) if definition is not None else name


def registered_steps() -> dict[str, Any]:
    return dict(_REGISTRY)
