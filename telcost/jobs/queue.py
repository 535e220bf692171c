"""Queueing a step's task row: the one place the jobs app hands work to the task backend.

The task itself (telcost.jobs.tasks.execute_step) runs a step through the runner, and the
runner queues the next step through here; so the task is not imported here but handed in:
tasks.py fills the slot when it is imported (JobsConfig.ready imports it). The imports go one
way, tasks → runner → services → queue, and the task's stored path stays the same.
"""

from datetime import datetime

from django.tasks import Task

from telcost.jobs.models import Step
from telcost.jobs.wakeup import step_queued

_step_task: Task | None = None


def set_step_task(task: Task) -> None:
    """The task that runs a step by id (called once, by telcost.jobs.tasks)."""
    global _step_task
    _step_task = task


def enqueue_step(step: Step, *, run_after: datetime | None = None) -> None:
    """Queue the task row for a step (inside the caller's transaction)."""
    if _step_task is None:
        raise RuntimeError(
            "no step task: telcost.jobs.tasks was not imported (is telcost.jobs installed?)"
        )
    task = _step_task.using(run_after=run_after) if run_after else _step_task
    result = task.enqueue(step_id=step.pk)
    # Due now: idle workers are woken when this commits (wakeup.py), by the same statement.
    step_queued(step.pk, task_id=str(result.id), run_after=run_after, notify=run_after is None)
    step.status, step.run_after, step.task_id = Step.Status.QUEUED, run_after, str(result.id)
