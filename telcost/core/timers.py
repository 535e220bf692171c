"""Work the worker side does on a timer: recovery sweeps, scheduled syncs, clean-ups.

Apps register theirs in their own timers.py with @every(seconds) (the jobs app imports
every timers.py at start-up); every `telcost worker` process runs them, so no second
scheduler needs operating. Each timer must be safe to run in several workers at once.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("telcost.jobs")


@dataclass
class Timer:
    name: str
    seconds: Callable[[], float]
    fn: Callable[[], None]
    next_at: float = 0.0


_TIMERS: dict[str, Timer] = {}


def every(seconds: float | Callable[[], float], name: str | None = None):
    interval = seconds if callable(seconds) else (lambda: seconds)

    def register(fn: Callable[[], None]) -> Callable[[], None]:
        key = name or f"{fn.__module__}.{fn.__qualname__}"
        _TIMERS[key] = Timer(name=key, seconds=interval, fn=fn)
        return fn

    return register


def run_due_timers(now: float | None = None) -> None:
    now = time.monotonic() if now is None else now
    for timer in list(_TIMERS.values()):
        if now < timer.next_at:
            continue
        timer.next_at = now + timer.seconds()
        try:
            timer.fn()
        except Exception:  # one broken timer must not stop the worker or the others
            logger.exception("timer %s failed", timer.name)
