"""Step definitions: a name (the seed's command name), its handler and its retry rules.

Apps declare their steps in a `steps.py` module with the @step decorator; the
jobs app imports every app's steps module at start-up (see apps.py).
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.utils import OperationalError

from telcost.jobs.errors import PermanentError, TransientError

Handler = Callable[["StepContext"], dict | None]  # noqa: F821 - see telcost.jobs.runner


def is_locked_database(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


@dataclass(frozen=True)
class StepDefinition:
    name: str
    handler: Handler
    max_attempts: int = 3
    # Exceptions besides TransientError and a locked database that deserve a retry.
    transient: tuple[type[BaseException], ...] = field(default_factory=tuple)
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0

    def is_transient(self, exc: BaseException) -> bool:
        if isinstance(exc, PermanentError):
            return False
        return isinstance(exc, (TransientError, *self.transient)) or is_locked_database(exc)

    def backoff_seconds(self, attempt: int) -> float:
        """Exponential with full jitter, so retries of many jobs do not stampede together."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2 ** max(attempt - 1, 0)))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - not for security


_REGISTRY: dict[str, StepDefinition] = {}


def step(
    name: str,
    *,
    max_attempts: int = 3,
    transient: tuple[type[BaseException], ...] = (),
    backoff_base_s: float = 1.0,
    backoff_max_s: float = 60.0,
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _REGISTRY[name] = StepDefinition(
            name=name,
            handler=handler,
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


def registered_steps() -> dict[str, Any]:
    return dict(_REGISTRY)
