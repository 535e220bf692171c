"""Bring back steps whose worker died, and steps whose task row went missing.

django-tasks-db leaves a killed worker's task RUNNING forever and never retries;
this sweep is what makes a chain survive kill -9. Every update is conditional on
the state it saw, so two workers sweeping at once do no harm.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from telcost.jobs.models import Step
from telcost.jobs.runner import fail_step
from telcost.jobs.services import enqueue_step

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
                pk=step.pk, status=Step.Status.RUNNING, attempts=step.attempts, heartbeat_at=step.heartbeat_at
            ).update(status=Step.Status.QUEUED, worker="", error=f"worker {step.worker} stopped responding")
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
    # Queued steps whose task row is gone or already finished would wait forever.
    grace = now - timedelta(seconds=max(settings.JOBS_SWEEP_SECONDS, 1.0))
    queued = Step.objects.filter(status=Step.Status.QUEUED).exclude(run_after__gt=grace)
    for step in queued.only("pk", "task_id", "name", "job_id", "status", "run_after"):
        task = DBTaskResult.objects.filter(id=step.task_id).values_list("status", flat=True).first() if step.task_id else None
        if task is not None and task not in _FINISHED_TASK_STATUSES:
            continue
        with transaction.atomic():
            if Step.objects.filter(pk=step.pk, status=Step.Status.QUEUED, task_id=step.task_id).exists():
                enqueue_step(step)
                recovered += 1
                logger.warning("re-enqueued orphaned step %s %s", step.pk, step.name)
    return recovered
