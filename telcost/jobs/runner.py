"""Running one step: claim, heartbeat, handler, then advance the chain or retry or fail.

Every state change is a conditional UPDATE on the status (and the attempt) a
worker expects, so a second delivery of the same task, or a worker that was
presumed dead and comes back, changes nothing.
"""

import logging
import os
import random
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from telcost.jobs.errors import JobCancelled, StepError
from telcost.jobs.locks import exclusive
from telcost.jobs.models import Job, Step
from telcost.jobs.registry import StepDefinition, get_step
from telcost.jobs.services import enqueue_step, job_finished

logger = logging.getLogger("telcost.jobs")

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def set_worker_id(worker_id: str) -> None:
    global WORKER_ID
    WORKER_ID = worker_id


@dataclass
class StepContext:
    """What a handler gets: its job, step and params, and ways to report and to stop."""

    job: Job
    step: Step
    attempt: int

    @property
    def params(self) -> dict:
        return {**(self.job.params or {}), **(self.step.params or {})}

    @property
    def customer(self):
        return self.job.customer

    def progress(self, done: int, total: int | None = None) -> None:
        fields = {"progress_done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["progress_total"] = total
        Step.objects.filter(pk=self.step.pk, status=Step.Status.RUNNING).update(**fields)

    def cancelled(self) -> bool:
        return Job.objects.filter(pk=self.job.pk, status=Job.Status.CANCELLED).exists()

    def owns_step(self) -> bool:
        """Whether this attempt still runs the step; inside a transaction a True also holds the
        step's row until it ends, so recovery cannot hand the step over before an effect is
        recorded."""
        mine = Step.objects.filter(pk=self.step.pk, status=Step.Status.RUNNING, worker=WORKER_ID,
                                   attempts=self.attempt)
        return bool(mine.update(heartbeat_at=timezone.now()))

    def raise_if_cancelled(self) -> None:
        if self.cancelled():
            raise JobCancelled("Cancelled")


class Heartbeat:
    """A small thread that keeps heartbeat_at fresh while the handler runs."""

    def __init__(self, step_id: int, attempt: int) -> None:
        self.step_id, self.attempt = step_id, attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{step_id}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=settings.JOBS_HEARTBEAT_SECONDS + 35)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.JOBS_HEARTBEAT_SECONDS):
                try:
                    # Never back: a beat that waited for SQLite's write lock (a step's long transaction)
                    # must not replace the newer heartbeat that transaction committed with its time.
                    now = timezone.now()
                    Step.objects.filter(pk=self.step_id, status=Step.Status.RUNNING, attempts=self.attempt,
                                        heartbeat_at__lt=now).update(heartbeat_at=now)
                except Exception:  # a locked database must not kill the beat; try next time
                    logger.warning("heartbeat of step %s failed", self.step_id, exc_info=True)
        finally:
            connection.close()


def _holds_chain_key(job: Job, now) -> bool:
    """The job's chain holds its lock key, taking it if it is free and no older chain waits for it.

    Inside the claim's transaction. Chains of one key run whole, one after the other and in
    order, so a chain never finds another's step between two of its own.
    """
    if not job.lock_key or job.lock_acquired_at is not None or job.status not in Job.ACTIVE:
        return True
    if Job.objects.filter(lock_key=job.lock_key, status__in=Job.ACTIVE, pk__lt=job.pk).exists():
        return False
    try:
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).update(lock_acquired_at=now)
    except IntegrityError:  # the lease's unique index: another chain holds the key
        return False
    return True


@transaction.atomic
def _claim(step_id: int) -> Step | None:
    """Take the step and mark its job running, together: nobody sees one without the other.

    A chain whose key another chain holds is not failed but waits: its step stays queued with
    a task due a little later (or sooner: the chain that ends wakes the next one).
    """
    now = timezone.now()
    waiting = Step.objects.select_related("job").filter(pk=step_id, status=Step.Status.QUEUED).first()
    if waiting is None:
        return None
    if not _holds_chain_key(waiting.job, now):
        delay = random.uniform(1.0, 2.0)  # noqa: S311 - spreads the polls, not for security
        enqueue_step(waiting, run_after=now + timedelta(seconds=delay))
        logger.debug("step %s waits for %s", step_id, waiting.job.lock_key)
        return None
    claimed = Step.objects.filter(pk=step_id, status=Step.Status.QUEUED).update(
        status=Step.Status.RUNNING,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        worker=WORKER_ID,
        started_at=now,
        error="",
    )
    if not claimed:
        return None
    step = Step.objects.select_related("job", "job__customer").get(pk=step_id)
    if step.job.status == Job.Status.CANCELLED:
        Step.objects.filter(pk=step_id).update(status=Step.Status.SKIPPED, finished_at=now)
        return None
    if step.job.status == Job.Status.PENDING:
        Job.objects.filter(pk=step.job_id, status=Job.Status.PENDING).update(status=Job.Status.RUNNING, started_at=now)
        step.job.status, step.job.started_at = Job.Status.RUNNING, now
    return step


def run_step(step_id: int) -> None:
    step = _claim(step_id)
    if step is None:
        return
    definition = get_step(step.name)
    attempt = step.attempts
    context = StepContext(job=step.job, step=step, attempt=attempt)
    try:
        with Heartbeat(step.pk, attempt), exclusive(step.job.lock_key):
            result = definition.handler(context)
    except BaseException as exc:  # the outcome of every failure is recorded, whatever it is
        _record_failure(step, attempt, definition, exc)
        if not isinstance(exc, Exception):
            raise
        return
    _record_success(step, attempt, result)


def _still_ours(step: Step, attempt: int) -> bool:
    """The step is still running this attempt (recovery has not handed it to another worker)."""
    return (
        Step.objects.select_for_update()
        .filter(pk=step.pk, status=Step.Status.RUNNING, attempts=attempt)
        .exists()
    )


def _record_success(step: Step, attempt: int, result: dict | None) -> None:
    now = timezone.now()
    with transaction.atomic():
        # Conditional on the attempt: if recovery handed the step to another worker
        # meanwhile, that worker's outcome counts, not ours.
        if not Step.objects.filter(pk=step.pk, status=Step.Status.RUNNING, attempts=attempt).update(
            status=Step.Status.SUCCEEDED, finished_at=now, result=result
        ):
            return
        job = Job.objects.select_for_update().get(pk=step.job_id)
        merged = {**(job.result or {}), **result} if isinstance(result, dict) else job.result
        Job.objects.filter(pk=job.pk).update(progress_done=F("progress_done") + 1, result=merged)
        if job.status != Job.Status.RUNNING:
            return  # cancelled meanwhile: the rest stays skipped
        following = Step.objects.filter(job=job, position=step.position + 1).first()
        if following is not None:
            enqueue_step(following)
            return
        Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(status=Job.Status.COMPLETED, finished_at=now)
        job.refresh_from_db()
        job_finished(job)


def _record_failure(step: Step, attempt: int, definition: StepDefinition, exc: BaseException) -> None:
    now = timezone.now()
    message = str(exc) or type(exc).__name__
    with transaction.atomic():
        if not _still_ours(step, attempt):
            return
        job = Job.objects.select_for_update().get(pk=step.job_id)
        if isinstance(exc, JobCancelled) or job.status == Job.Status.CANCELLED:
            Step.objects.filter(pk=step.pk).update(status=Step.Status.SKIPPED, finished_at=now, error="Cancelled")
            return
        if definition.is_transient(exc) and attempt < step.max_attempts:
            delay = definition.backoff_seconds(attempt)
            logger.info("step %s %s attempt %s failed (%s); retry in %.1fs", step.pk, step.name, attempt, message, delay)
            Step.objects.filter(pk=step.pk).update(status=Step.Status.QUEUED, error=message)
            enqueue_step(step, run_after=now + timedelta(seconds=delay))
            return
        unexpected = not isinstance(exc, StepError)
        if unexpected:
            # An unexpected exception: its type is part of what the user needs to know,
            # and its traceback part of what the operator does (a bug, like a view's 500).
            message = f"{type(exc).__name__}: {message}"
        logger.warning("step %s %s failed: %s", step.pk, step.name, message,
                       exc_info=exc if unexpected else None)
        fail_step(step, f"{step.name}: {message}", now=now)


def fail_step(step: Step, error: str, *, now=None) -> None:
    """Fail a step and its job; the steps after it are skipped. Inside a transaction."""
    now = now or timezone.now()
    Step.objects.filter(pk=step.pk).update(status=Step.Status.FAILED, finished_at=now, error=error)
    Step.objects.filter(job_id=step.job_id, status__in=[Step.Status.WAITING, Step.Status.QUEUED]).update(
        status=Step.Status.SKIPPED, finished_at=now
    )
    if Job.objects.filter(pk=step.job_id, status__in=Job.ACTIVE).update(
        status=Job.Status.FAILED, finished_at=now, error=error
    ):
        job_finished(Job.objects.get(pk=step.job_id))
