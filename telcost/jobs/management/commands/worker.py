"""`telcost worker`: django-tasks-db's worker loop inside a supervisor of our own.

On top of the upstream loop it runs the timers (recovery sweep, scheduled syncs,
clean-ups), survives a locked database or a lost connection instead of dying,
and stops gracefully on SIGTERM/SIGINT (finishes the step it is running).
"""

import logging
import os
import random
import socket
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from telcost.core.timers import run_due_timers
from telcost.jobs import hotpath, runner
from telcost.jobs.tasks import execute_step
from telcost.jobs.wakeup import IdleWait

logger = logging.getLogger("telcost.jobs")


class SupervisedWorker(Worker):
    # Tests run the loop in-process inside a transaction, where dropping the
    # connection (as close_old_connections does there) would break the test.
    manage_connections = True

    def run(self) -> None:
        logger.info("worker %s started (interval %.2fs)", self.worker_id, self.interval)
        idle = IdleWait()
        try:
            self._loop(idle)
        finally:
            idle.close()

    def _loop(self, idle: IdleWait) -> None:
        failures = 0
        while self.running:
            try:
                ran = self._tick()
                failures = 0
            except (OperationalError, InterfaceError, DatabaseError) as exc:
                # A locked SQLite or a PostgreSQL restart: log, back off, go on.
                failures += 1
                delay = min(5.0, 0.1 * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311
                logger.warning(
                    "worker %s: database problem (%s); retrying in %.2fs",
                    self.worker_id,
                    exc,
                    delay,
                )
                try:
                    if self.manage_connections:
                        connection.close()
                except Exception:  # the connection may already be gone
                    pass
                time.sleep(delay)
                continue
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.batch and not ran:
                return
            if self.running and not ran:
                idle.wait(self.interval)

    def _tick(self) -> bool:
        """Claim the next task (with its step, hotpath.claim_next) and run it; False if none.

        A tick is just that: the connection is checked (a round trip on PostgreSQL) after an
        error or once a second, not between every two steps nor at every idle poll. A connection
        that died in between fails the claim, which the loop survives (close, back off, retry).
        """
        if self.manage_connections and (
            connection.errors_occurred or time.monotonic() >= self._check_at
        ):
            close_old_connections()
            self._check_at = time.monotonic() + 1.0
        run_due_timers()
        claimed = hotpath.claim_next(
            worker_id=self.worker_id,
            step_worker=runner.WORKER_ID,
            backend_name=self.backend_name,
            queue_names=None if self.process_all_queues else self.queue_names,
            step_task_path=execute_step.module_path,
            now=timezone.now(),
        )
        if claimed is None:
            return False
        task_result, step = claimed
        if step is None:
            # Another task, or a step the general code judges (runner.run_step).
            self.run_task(task_result)
        else:
            self._run_claimed(task_result, step)
        return True

    _check_at = 0.0

    def _run_claimed(self, task_result: DBTaskResult, step) -> None:
        """Run a step claimed with its task row; its outcome ends the row (upstream's
        run_task would end it in a write of its own)."""
        self.running_task = True
        try:
            runner.run_claimed_step(step, task_id=str(task_result.id))
        except BaseException as exc:  # as upstream's run_task: the row says how it ended
            task_result.set_failed(exc)
        finally:
            self.running_task = False
            self._run_tasks += 1


class Command(BaseCommand):
    help = "Run a telcost worker: executes job steps, recovers lost ones, runs timers."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval", type=float, default=None, help="Seconds between polls when idle."
        )
        parser.add_argument(
            "--queue-name", default="*", help="Queues to process, comma separated; * for all."
        )
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--batch", action="store_true", help="Run what is ready, then exit.")
        parser.add_argument("--worker-id", default=None)

    def handle(
        self, *, interval, queue_name, max_tasks, batch, worker_id, verbosity, **options
    ) -> None:
        if verbosity >= 1 and not logging.getLogger("telcost").handlers:
            logging.basicConfig(level=logging.INFO)
        worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        runner.set_worker_id(worker_id)
        worker = SupervisedWorker(
            queue_names=queue_name.split(","),
            interval=settings.JOBS_WORKER_INTERVAL if interval is None else interval,
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=worker_id[:64],
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
