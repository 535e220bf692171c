"""Waking idle workers when a step is queued, so the first step starts at once, not at the
next poll.

PostgreSQL: the transaction that queues a step sends NOTIFY, which the server delivers when it
commits (never for a rolled-back dispatch, and once however many steps it queued); an idle
worker waits on a connection of its own that LISTENs, up to its poll interval. The poll stays
the fallback: a step whose run_after lies ahead, a notification lost with its connection, or
`TELCOST_JOBS_LISTEN=false` (behind a pooler in transaction mode, where LISTEN cannot work).
SQLite has no notifications: its workers poll.
"""

import logging
import time

from django.conf import settings
from django.db import connection

from telcost.jobs.models import Step

logger = logging.getLogger("telcost.jobs")

CHANNEL = "telcost_steps"


def _listens() -> bool:
    return connection.vendor == "postgresql" and settings.JOBS_LISTEN


def step_queued(step_id: int, *, task_id: str, run_after, notify: bool) -> None:
    """Mark the step queued under its task row, in the transaction that queued the row; with
    `notify`, idle workers wake when it commits (one statement with the update on PostgreSQL)."""
    if not (notify and _listens()):
        Step.objects.filter(pk=step_id).update(
            status=Step.Status.QUEUED, run_after=run_after, task_id=task_id
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH queued AS (UPDATE jobs_step SET status = 'queued', run_after = NULL, "
            "task_id = %s WHERE id = %s RETURNING 1) SELECT pg_notify(%s, '') FROM queued",
            [task_id, step_id, CHANNEL],
        )


class IdleWait:
    """A worker's wait when it found nothing to do: until a step is queued or `timeout` passes."""

    def __init__(self) -> None:
        self._listener = None

    def wait(self, timeout: float) -> None:
        if not _listens():
            time.sleep(timeout)
            return
        import psycopg

        try:
            listener = self._listening()
            for _ in listener.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error as exc:
            # The server restarted or the network dropped: poll this time, listen again next.
            logger.warning("worker: listening for queued steps failed (%s); polling", exc)
            self.close()
            time.sleep(timeout)

    def _listening(self):
        if self._listener is None or self._listener.closed:
            import psycopg

            params = connection.get_connection_params()
            params.pop("cursor_factory", None)
            params.pop("context", None)
            self._listener = psycopg.connect(**params, autocommit=True)
            self._listener.execute(f"LISTEN {CHANNEL}")
        return self._listener

    def close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except Exception:  # closing a broken connection may fail again; it is gone either way
                pass
            self._listener = None
