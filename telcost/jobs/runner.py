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
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from telcost.jobs import hotpath
from telcost.jobs.errors import JobCancelled, StepAbandoned, StepError
from telcost.jobs.locks import exclusive
from telcost.jobs.models import Job, Step
from telcost.jobs.queue import enqueue_step
from telcost.jobs.registry import StepDefinition, get_step, is_lost_connection
from telcost.jobs.services import job_finished, job_reaction_run

logger = logging.getLogger("telcost.jobs")

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def set_worker_id(worker_id: str) -> None:
    global WORKER_ID
    WORKER_ID = worker_id


@dataclass
class StepContext:
    """What a handler gets: its job, step and params, and ways to report and to stop.

    `attempt` numbers the runs of this step (1, 2, ...): name what an attempt writes after it
    (a temp file) so two attempts never write the same thing. `raise_if_cancelled()` between
    chunks stops the handler when its job was cancelled or when this attempt lost its step;
    `owns_step()` inside the transaction that publishes a result makes the publishing
    conditional on still owning the step.
    """

    job: Job
    step: Step
    attempt: int
    heartbeat: "Heartbeat | None" = None

    @property
    def params(self) -> dict:
        return {**(self.job.params or {}), **(self.step.params or {})}

    @property
    def customer(self):
        return self.job.customer

    def _this_attempt(self):
        return Step.objects.filter(
            pk=self.step.pk, status=Step.Status.RUNNING, attempts=self.attempt
        )

    def progress(self, done: int, total: int | None = None) -> None:
        """Report progress (it counts as a beat); raises StepAbandoned if the step is not ours."""
        fields = {"progress_done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["progress_total"] = total
        if not self._this_attempt().update(**fields):
            self._abandon("the step was taken over")
        if self.heartbeat is not None:
            self.heartbeat.beaten()

    def progress_in_transaction(self, done: int, total: int | None = None) -> None:
        """progress() from inside a long transaction of the handler's: written on SQLite only.

        SQLite: the transaction holds the one write lock, so the heartbeat thread cannot beat until
        it commits; these writes, committed with it, keep the step from being taken over as lost
        (a takeover needs the heartbeat it saw to be unchanged). PostgreSQL: the heartbeat thread
        beats meanwhile, and a write of the step's row here would lock it against that thread
        until commit.
        """
        if connection.vendor == "sqlite":
            self.progress(done, total)

    def cancelled(self) -> bool:
        return Job.objects.filter(pk=self.job.pk, status=Job.Status.CANCELLED).exists()

    def owns_step(self) -> bool:
        """Whether this attempt still runs the step (and has not given it up for a lost
        heartbeat); inside a transaction a True also holds the step's row until it ends, so
        recovery cannot hand the step over before an effect is recorded."""
        if self.heartbeat is not None and self.heartbeat.abandoned:
            return False
        mine = self._this_attempt().filter(worker=WORKER_ID)
        if not mine.update(heartbeat_at=timezone.now()):
            return False
        if self.heartbeat is not None:
            self.heartbeat.beaten()
        return True

    def raise_if_cancelled(self) -> None:
        """Between chunks: stop if the job was cancelled, or if this attempt lost its step."""
        if self.heartbeat is not None and self.heartbeat.abandoned:
            self._abandon(self.heartbeat.reason)
        if self.cancelled():
            raise JobCancelled("Cancelled")

    def _abandon(self, reason: str):
        logger.warning("step %s attempt %s abandoned: %s", self.step.pk, self.attempt, reason)
        raise StepAbandoned(f"attempt {self.attempt} abandoned: {reason}")


class Heartbeat:
    """Keeps heartbeat_at fresh while the handler runs, beaten by the worker's beater thread.

    The attempt is abandoned (the handler stops at its next check) when a beat finds the step no
    longer running this attempt, or when no beat came through for nearly the stale limit, after
    which recovery may hand the step to another worker.
    """

    def __init__(self, step_id: int, attempt: int) -> None:
        self.step_id, self.attempt = step_id, attempt
        self._lost = threading.Event()
        self._last_beat = time.monotonic()
        self.every = settings.JOBS_HEARTBEAT_SECONDS
        self.due_at = self._last_beat + self.every
        self.failures = 0
        stale = settings.JOBS_STALE_AFTER_SECONDS
        # Before recovery can act on the stale heartbeat, with a margin of two beats.
        self._abandon_after = max(stale - 2 * self.every, stale / 2)

    def beaten(self) -> None:
        self._last_beat = time.monotonic()

    @property
    def abandoned(self) -> bool:
        return self._lost.is_set() or time.monotonic() - self._last_beat > self._abandon_after

    @property
    def reason(self) -> str:
        if self._lost.is_set():
            return "the step was taken over"
        return f"no heartbeat for {time.monotonic() - self._last_beat:.1f}s"

    def __enter__(self) -> "Heartbeat":
        _beater.add(self)
        return self

    def __exit__(self, *exc) -> None:
        _beater.remove(self)

    def beat(self) -> bool:
        """One beat, in the beater thread; False when the step is no longer this attempt's."""
        # Never back: a beat that waited for SQLite's write lock (a step's long transaction)
        # must not replace the newer heartbeat that transaction committed with its time; such a
        # beat changes no row, yet the step is still ours.
        now = timezone.now()
        this_attempt = Step.objects.filter(
            pk=self.step_id, status=Step.Status.RUNNING, attempts=self.attempt
        )
        return bool(
            this_attempt.filter(heartbeat_at__lt=now).update(heartbeat_at=now)
            or this_attempt.exists()
        )

    def lost(self) -> None:
        self._lost.set()
        logger.warning("step %s attempt %s was taken over", self.step_id, self.attempt)


class _Beater:
    """One thread per worker process beats for the steps running in it.

    A thread of its own per step cost its start and its join for every step, the join
    milliseconds on a loaded machine: more than the rest of a short step. This one starts with
    the first step and stays; a step joins and leaves its set without waking it (it looks at
    least once per beat interval). A beat that fails closes the thread's connection, so the next
    one reconnects; the connection is also closed whenever no step runs.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._beating: set[Heartbeat] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def add(self, heartbeat: Heartbeat) -> None:
        with self._lock:
            self._beating.add(heartbeat)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
                self._thread.start()

    def remove(self, heartbeat: Heartbeat) -> None:
        with self._lock:
            self._beating.discard(heartbeat)

    def _run(self) -> None:
        while True:
            with self._lock:
                beating = list(self._beating)
            now = time.monotonic()
            due = [h for h in beating if h.due_at <= now]
            if not due:
                if not beating:
                    _close_quietly()
                wait = min((h.due_at for h in beating), default=now + _idle_look()) - now
                self._wake.wait(max(wait, 0.001))
                continue
            for heartbeat in due:
                self._beat(heartbeat)

    def _beat(self, heartbeat: Heartbeat) -> None:
        heartbeat.due_at = time.monotonic() + heartbeat.every
        try:
            ours = heartbeat.beat()
        except Exception as exc:  # a locked database or a lost connection: try next time
            heartbeat.failures += 1
            logger.warning(
                "heartbeat of step %s failed %s times: %s",
                heartbeat.step_id,
                heartbeat.failures,
                exc,
            )
            _close_quietly()  # a broken connection is not reused: the next beat reconnects
            return
        with self._lock:
            if heartbeat not in self._beating:
                return  # the step ended meanwhile: its outcome is recorded, not this beat's
        if not ours:
            self.remove(heartbeat)
            heartbeat.lost()
            return
        heartbeat.failures = 0
        heartbeat.beaten()


def _idle_look() -> float:
    return settings.JOBS_HEARTBEAT_SECONDS


_beater = _Beater()


def _close_quietly() -> None:
    """Close this thread's connection (outside a transaction); a broken one may raise on closing."""
    try:
        if not connection.in_atomic_block:
            connection.close()
    except Exception:  # noqa: S110 - it is being thrown away
        pass


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
    waiting = (
        Step.objects.select_related("job").filter(pk=step_id, status=Step.Status.QUEUED).first()
    )
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
        Job.objects.filter(pk=step.job_id, status=Job.Status.PENDING).update(
            status=Job.Status.RUNNING, started_at=now
        )
        step.job.status, step.job.started_at = Job.Status.RUNNING, now
    return step


def run_step(step_id: int) -> None:
    """Run a step by id (the task's body): claim it, then run it as run_claimed_step does."""
    step = _claim(step_id)
    if step is None:
        return
    run_claimed_step(step)


def run_claimed_step(step: Step, *, task_id: str | None = None) -> None:
    """Run the handler of a step this worker claimed and record the outcome.

    With `task_id` (the worker claimed the step with its task row: hotpath.claim_next) the
    outcome ends the task row in the same write, so a worker killed in between leaves no row
    RUNNING for a step that ended. A BaseException (SystemExit, KeyboardInterrupt) is recorded
    and raised for the caller, which ends the task row as failed.
    """
    definition = get_step(step.name)
    attempt = step.attempts
    heartbeat = Heartbeat(step.pk, attempt)
    context = StepContext(job=step.job, step=step, attempt=attempt, heartbeat=heartbeat)
    try:
        with heartbeat, exclusive(step.job.lock_key):
            result = definition.handler(context)
    except BaseException as exc:  # the outcome of every failure is recorded, whatever it is
        if is_lost_connection(exc):
            # Retried like any transient error, on a new connection: the broken one is dropped.
            _close_quietly()
        ending = task_id if isinstance(exc, Exception) else None
        _record_failure(step, attempt, definition, exc, task_id=ending)
        if not isinstance(exc, Exception):
            raise
        return
    _record_success(step, attempt, result, task_id=task_id)


def _still_ours(step: Step, attempt: int) -> bool:
    """The step is still running this attempt (recovery has not handed it to another worker)."""
    return (
        Step.objects.select_for_update()
        .filter(pk=step.pk, status=Step.Status.RUNNING, attempts=attempt)
        .exists()
    )


def _record_success(
    step: Step, attempt: int, result: dict | None, *, task_id: str | None = None
) -> None:
    """The step succeeded: its job moves on (the next step queued) or ends, in one write.

    Conditional on the attempt: if recovery handed the step to another worker meanwhile, that
    worker's outcome counts, not ours. The last step of a lone job is one statement on
    PostgreSQL (hotpath.may_succeed_alone); anything else one transaction.
    """
    now = timezone.now()
    if hotpath.may_succeed_alone(step):
        recorded = hotpath.record_success(
            step, attempt, result, task_id=task_id, now=now, alone=True
        )
        if recorded is not None:
            _, job, _ = recorded
            if job.status == Job.Status.COMPLETED and job.finished_at == now:
                transaction.on_commit(partial(job_reaction_run, job.pk), robust=True)
            return
    with transaction.atomic():
        recorded = hotpath.record_success(step, attempt, result, task_id=task_id, now=now)
        if recorded is None:
            return
        next_id, job, followed = recorded
        if job.status == Job.Status.RUNNING and next_id is not None:
            following = Step(pk=next_id, job_id=job.pk, position=step.position + 1)
            enqueue_step(following)
        elif job.status == Job.Status.COMPLETED and job.finished_at == now:
            job_finished(job, followed=followed)
        # Otherwise the job was cancelled (or failed) meanwhile: the rest stays skipped.


def _record_failure(
    step: Step,
    attempt: int,
    definition: StepDefinition,
    exc: BaseException,
    *,
    task_id: str | None = None,
) -> None:
    now = timezone.now()
    message = str(exc) or type(exc).__name__
    with transaction.atomic():
        ours = _still_ours(step, attempt)
        if task_id:
            # The task ran (and ends here, with the step's outcome); the step's record says how.
            hotpath.task_row_succeeded(task_id, now)
        if not ours:
            return
        job = Job.objects.select_for_update().get(pk=step.job_id)
        if isinstance(exc, JobCancelled) or job.status == Job.Status.CANCELLED:
            Step.objects.filter(pk=step.pk).update(
                status=Step.Status.SKIPPED, finished_at=now, error="Cancelled"
            )
            return
        if definition.is_transient(exc) and attempt < step.max_attempts:
            delay = definition.backoff_seconds(attempt)
            logger.info(
                "step %s %s attempt %s failed (%s); retry in %.1fs",
                step.pk,
                step.name,
                attempt,
                message,
                delay,
            )
            Step.objects.filter(pk=step.pk).update(status=Step.Status.QUEUED, error=message)
            enqueue_step(step, run_after=now + timedelta(seconds=delay))
            return
        unexpected = not isinstance(exc, StepError)
        if unexpected:
            # An unexpected exception: its type is part of what the user needs to know,
            # and its traceback part of what the operator does (a bug, like a view's 500).
            message = f"{type(exc).__name__}: {message}"
        logger.warning(
            "step %s %s failed: %s",
            step.pk,
            step.name,
            message,
            exc_info=exc if unexpected else None,
        )
        fail_step(step, f"{step.name}: {message}", now=now)


def fail_step(step: Step, error: str, *, now=None) -> None:
    """Fail a step and its job; the steps after it are skipped. Inside a transaction."""
    now = now or timezone.now()
    Step.objects.filter(pk=step.pk).update(status=Step.Status.FAILED, finished_at=now, error=error)
    Step.objects.filter(
        job_id=step.job_id, status__in=[Step.Status.WAITING, Step.Status.QUEUED]
    ).update(status=Step.Status.SKIPPED, finished_at=now)
    if Job.objects.filter(pk=step.job_id, status__in=Job.ACTIVE).update(
        status=Job.Status.FAILED, finished_at=now, error=error
    ):
        job_finished(Job.objects.get(pk=step.job_id))
