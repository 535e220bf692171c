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
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from telcost.core.timers import run_due_timers
from telcost.jobs import runner
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
        if self.manage_connections:
            close_old_connections()
        run_due_timers()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        if task_result is None:
            return False
        self.run_task(task_result)
        return True


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
