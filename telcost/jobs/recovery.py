"""Bring back steps whose worker died, steps whose task row went missing, and lost reactions.

django-tasks-db leaves a killed worker's task RUNNING forever and never retries;
this sweep is what makes a chain survive kill -9. A worker can die at three points:
while it runs the handler (the step's heartbeat goes stale), between claiming the
task row and claiming the step (the step stays queued under a task row that stays
RUNNING), and after recording the step's outcome but before the task backend
recorded it (the row stays RUNNING for a step that ended). The worker's hot path
(hotpath.py) claims the step with its task row and ends the row with the step's
outcome, so the last two arise only on the general path (runner.run_step: a chain
taking its key, a cancelled job); the sweep still covers them. Every update is
conditional on the state it saw, so two workers sweeping at once do no harm.
A worker that dies between a job's end and its kind's reaction leaves the reaction
to run (recover_lost_reactions).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from telcost.jobs.models import Job, Step
from telcost.jobs.queue import enqueue_step
from telcost.jobs.runner import fail_step
from telcost.jobs.services import job_reaction_run

logger = logging.getLogger("telcost.jobs")

_FINISHED_TASK_STATUSES = ("SUCCESSFUL", "FAILED")


def recover_lost_steps() -> int:
    """Requeue stale running steps and orphaned queued steps. Returns how many were recovered."""
    now = timezone.now()
    recovered = 0
    stale_before = now - timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    for step in Step.objects.filter(status=Step.Status.RUNNING, heartbeat_at__lt=stale_before):
        with transaction.atomic():
            claimed = Step.objects.filter(
                pk=step.pk,
                status=Step.Status.RUNNING,
                attempts=step.attempts,
                heartbeat_at=step.heartbeat_at,
            ).update(
                status=Step.Status.QUEUED,
                worker="",
                error=f"worker {step.worker} stopped responding",
            )
            if not claimed:
                continue
            # Make the task backend's own record tell the truth about the dead worker.
            DBTaskResult.objects.filter(id=step.task_id, status="RUNNING").update(
                status="FAILED", finished_at=now
            )
            if step.attempts >= step.max_attempts:
                fail_step(step, f"{step.name}: worker lost {step.attempts} times", now=now)
            else:
                enqueue_step(step)
            recovered += 1
            logger.warning("recovered step %s %s from worker %s", step.pk, step.name, step.worker)
    recovered += _close_abandoned_task_rows(now=now, stale_before=stale_before)
    # Queued steps whose task row is gone or already finished would wait forever.
    # Two set-based reads, however long the backlog of a large fan-out is.
    grace = now - timedelta(seconds=max(settings.JOBS_SWEEP_SECONDS, 1.0))
    queued = dict(
        Step.objects.filter(status=Step.Status.QUEUED)
        .exclude(run_after__gt=grace)
        .values_list("pk", "task_id")
    )
    alive = set(
        str(task_id)
        for task_id in DBTaskResult.objects.filter(id__in=[t for t in queued.values() if t])
        .exclude(status__in=_FINISHED_TASK_STATUSES)
        .values_list("id", flat=True)
    )
    for step_id, task_id in queued.items():
        if task_id in alive:
            continue
        with transaction.atomic():
            step = Step.objects.filter(
                pk=step_id, status=Step.Status.QUEUED, task_id=task_id
            ).first()
            if step is not None:
                enqueue_step(step)
                recovered += 1
                logger.warning("re-enqueued orphaned step %s %s", step.pk, step.name)
    return recovered


def recover_lost_reactions() -> int:
    """Run the reactions of jobs that ended more than the stale limit ago without one.

    A reaction runs right after its job's end commits; one still missing that long after is
    lost (its worker died in between) or failed (it raised, and is tried again). Returns how
    many ran.
    """
    stale_before = timezone.now() - timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    lost = (
        Job.objects.filter(reacted_at__isnull=True, finished_at__lt=stale_before)
        .exclude(status__in=Job.ACTIVE)
        .order_by("finished_at")
        .values_list("pk", flat=True)
    )
    ran = 0
    for job_id in list(lost):
        try:
            if job_reaction_run(job_id):
                ran += 1
                logger.warning("ran the lost reaction to the end of job %s", job_id)
        except Exception:  # one failing reaction must not keep the others from running
            logger.exception(
                "the reaction to the end of job %s failed; the next sweep tries again", job_id
            )
    return ran


def _close_abandoned_task_rows(*, now, stale_before) -> int:
    """Task rows RUNNING for longer than the stale limit with no step running under them.

    A live worker claims the step within milliseconds of claiming its task row and then
    keeps the step's heartbeat fresh, which the rule above judges. A row whose step is not
    running under it after that long belongs to a worker that died: it is closed, and a
    step still queued under it (never claimed) gets a fresh task. Returns how many steps
    that gave back.
    """
    rows = list(
        DBTaskResult.objects.filter(status="RUNNING")
        .filter(Q(started_at__lt=stale_before) | Q(started_at__isnull=True))
        .values_list("id", "args_kwargs")
    )
    step_of_row = {
        str(task_id): (args_kwargs or {}).get("kwargs", {}).get("step_id")
        for task_id, args_kwargs in rows
    }
    steps = Step.objects.in_bulk([s for s in step_of_row.values() if s is not None])
    recovered = 0
    for task_id, step_id in step_of_row.items():
        step = steps.get(step_id)
        if step is not None and step.status == Step.Status.RUNNING and step.task_id == task_id:
            continue  # its worker beats for it, or the stale-heartbeat rule takes it
        with transaction.atomic():
            closed = DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
                status="FAILED", finished_at=now
            )
            if not closed:
                continue
            if step is None or step.status != Step.Status.QUEUED or step.task_id != task_id:
                continue
            step = Step.objects.filter(
                pk=step.pk, status=Step.Status.QUEUED, task_id=task_id
            ).first()
            if step is not None:
                enqueue_step(step)
                recovered += 1
                logger.warning(
                    "took over step %s %s: its task was claimed by a worker that died",
                    step.pk,
                    step.name,
                )
    return recovered


def finished_task_rows_delete() -> int:
    """Delete the task backend's rows of tasks that ended more than JOBS_TASK_ROWS_KEEP_DAYS ago.

    Every step, and every re-check of a chain waiting for its key, adds a row; the Step
    records are the history users and operators read, so the backend's finished rows are
    only kept a while for debugging. Ready and running rows are never touched: recovery
    judges those. Returns how many were deleted.
    """
    before = timezone.now() - timedelta(days=settings.JOBS_TASK_ROWS_KEEP_DAYS)
    deleted, _ = DBTaskResult.objects.filter(
        status__in=_FINISHED_TASK_STATUSES, finished_at__lt=before
    ).delete()
    return deleted
