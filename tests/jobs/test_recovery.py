"""Recovery: steps whose worker died are run again; the dead worker's task row tells the truth."""

import datetime as dt
import os
import signal

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from telcost.jobs.diagnostics import PROBE_KIND, probe_log_lines
from telcost.jobs.models import Job, Step
from telcost.jobs.recovery import finished_task_rows_delete, recover_lost_steps
from telcost.jobs.services import StepSpec, job_dispatch
from tests.conftest import wait_for

FAST_RECOVERY = {
    "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
    "TELCOST_JOBS_STALE_AFTER_SECONDS": "2",
    "TELCOST_JOBS_SWEEP_SECONDS": "0.5",
}


@pytest.mark.django_db
def test_a_running_step_without_heartbeat_is_requeued(customer, settings):
    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    step = job.steps.get()
    old_task = step.task_id
    long_ago = timezone.now() - dt.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS + 5)
    Step.objects.filter(pk=step.pk).update(
        status="running", attempts=1, heartbeat_at=long_ago, worker="dead:1"
    )
    DBTaskResult.objects.filter(id=old_task).update(status="RUNNING")
    assert recover_lost_steps() == 1
    step.refresh_from_db()
    assert step.status == "queued" and step.task_id != old_task
    assert DBTaskResult.objects.get(id=old_task).status == "FAILED"
    assert DBTaskResult.objects.get(id=step.task_id).status == "READY"


@pytest.mark.django_db
def test_a_fresh_heartbeat_is_left_alone(customer):
    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    Step.objects.filter(job=job).update(status="running", attempts=1, heartbeat_at=timezone.now())
    assert recover_lost_steps() == 0
    assert job.steps.get().status == "running"


@pytest.mark.django_db
def test_a_step_that_lost_its_worker_too_often_fails(customer, settings):
    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    long_ago = timezone.now() - dt.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS + 5)
    Step.objects.filter(job=job).update(status="running", attempts=4, heartbeat_at=long_ago)
    recover_lost_steps()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "worker lost 4 times" in job.error


@pytest.mark.django_db
def test_a_queued_step_whose_task_row_vanished_is_requeued(customer, settings):
    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    step = job.steps.get()
    DBTaskResult.objects.filter(id=step.task_id).delete()
    assert recover_lost_steps() == 1
    step.refresh_from_db()
    assert DBTaskResult.objects.filter(id=step.task_id, status="READY").exists()


@pytest.mark.django_db
def test_a_second_delivery_of_a_finished_step_changes_nothing(customer, drain_jobs):
    from telcost.jobs.runner import run_step

    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    drain_jobs()
    step = job.steps.get()
    run_step(step.pk)
    step.refresh_from_db()
    assert step.attempts == 1 and step.status == "succeeded"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_chain_survives_a_worker_killed_mid_step(customer, start_worker, tmp_path):
    log = str(tmp_path / "probe.log")
    job = job_dispatch(
        kind=PROBE_KIND,
        customer=customer,
        steps=[
            StepSpec("Probe", {"log": log}),
            StepSpec("Probe", {"log": log, "sleep_s": 4}),
            StepSpec("Probe", {"log": log}),
        ],
    ).job
    doomed = start_worker("doomed", **FAST_RECOVERY)
    wait_for(
        lambda: "start Probe#1 attempt 1" in probe_log_lines(log),
        timeout=60,
        message="step 1 to start",
    )
    dead_task = Step.objects.get(job=job, position=1).task_id
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    start_worker("rescuer", **FAST_RECOVERY)
    wait_for(
        lambda: Job.objects.get(pk=job.pk).status == "completed",
        timeout=60,
        message="the chain to complete",
    )
    lines = probe_log_lines(log)
    assert (
        lines.count("done Probe#0") == 1
        and lines.count("done Probe#1") == 1
        and lines.count("done Probe#2") == 1
    )
    assert "start Probe#1 attempt 2" in lines, "the killed step ran again"
    assert DBTaskResult.objects.get(id=dead_task).status == "FAILED"
    assert Step.objects.get(job=job, position=1).attempts == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_fifty_quick_dispatches_with_two_workers_all_complete(customer, start_worker):
    """The web side dispatching while two workers write: no 'database is locked' failure
    anywhere."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    start_worker("a")
    start_worker("b")

    def dispatch_some(n):
        try:
            return [
                job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")] * 3, customer=customer).pk
                for _ in range(n)
            ]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=5) as pool:
        ids = [pk for batch in pool.map(dispatch_some, [10] * 5) for pk in batch]
    assert len(ids) == 50
    wait_for(
        lambda: not Job.objects.filter(pk__in=ids, status__in=Job.ACTIVE).exists(),
        timeout=120,
        message="50 chains to end",
    )
    statuses = set(Job.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == {"completed"}, (
        Job.objects.filter(pk__in=ids)
        .exclude(status="completed")
        .values_list("error", flat=True)[:5]
    )


@pytest.mark.django_db
def test_a_queued_step_with_its_task_waiting_is_left_alone(customer):
    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    task_id = job.steps.get().task_id
    assert recover_lost_steps() == 0
    assert job.steps.get().task_id == task_id
    assert DBTaskResult.objects.count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_task_a_dead_worker_claimed_before_the_step_is_taken_over(
    customer, start_worker, tmp_path
):
    """The worker died between claiming the task row and claiming the step: the step stayed
    queued, the task row running for ever, and the dedupe key held by a job that never ran."""
    log = str(tmp_path / "probe.log")
    job = job_dispatch(
        kind=PROBE_KIND,
        customer=customer,
        steps=[StepSpec("Probe", {"log": log})],
        dedupe_key="probe:lost",
    ).job
    lost_task = job.steps.get().task_id
    DBTaskResult.objects.filter(id=lost_task).update(
        status="RUNNING", started_at=timezone.now(), worker_ids=["gone:999999"]
    )
    start_worker("rescuer", **FAST_RECOVERY)
    wait_for(
        lambda: Job.objects.get(pk=job.pk).status == "completed",
        timeout=30,
        message="the job to be taken over and completed",
    )
    assert probe_log_lines(log).count("done Probe#0") == 1
    # The dead worker's task row tells the truth, and the key is free for the next request.
    assert DBTaskResult.objects.get(id=lost_task).status == "FAILED"
    again = job_dispatch(
        kind=PROBE_KIND, customer=customer, steps=[StepSpec("Probe")], dedupe_key="probe:lost"
    )
    assert not again.joined and again.pk != job.pk


@pytest.mark.django_db
def test_a_task_row_left_running_for_a_step_that_ended_is_closed(customer, drain_jobs, settings):
    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    drain_jobs()
    step = job.steps.get()
    long_ago = timezone.now() - dt.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS + 5)
    # The worker recorded the step's success and died before the task backend heard of it.
    DBTaskResult.objects.filter(id=step.task_id).update(
        status="RUNNING", started_at=long_ago, finished_at=None
    )
    recover_lost_steps()
    row = DBTaskResult.objects.get(id=step.task_id)
    assert row.status == "FAILED" and row.finished_at is not None
    assert job.steps.get().status == "succeeded" and DBTaskResult.objects.count() == 1


@pytest.mark.django_db
def test_a_task_row_just_claimed_by_a_live_worker_is_left_alone(customer):
    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    task_id = job.steps.get().task_id
    DBTaskResult.objects.filter(id=task_id).update(status="RUNNING", started_at=timezone.now())
    assert recover_lost_steps() == 0
    assert DBTaskResult.objects.get(id=task_id).status == "RUNNING"
    assert job.steps.get().task_id == task_id


@pytest.mark.django_db
def test_finished_task_rows_are_deleted_after_their_days_and_live_ones_never(
    customer, drain_jobs, settings
):
    # Every step and every re-check of a chain waiting for its key adds a task row: without
    # a clean-up the backend's table only grows.
    settings.JOBS_TASK_ROWS_KEEP_DAYS = 7
    for _ in range(3):
        job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer)
    drain_jobs()
    old, recent, failed = DBTaskResult.objects.values_list("id", flat=True)
    waiting = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    long_ago = timezone.now() - dt.timedelta(days=8)
    DBTaskResult.objects.filter(id__in=[old, failed]).update(finished_at=long_ago)
    DBTaskResult.objects.filter(id=failed).update(status="FAILED")
    DBTaskResult.objects.filter(id=waiting.steps.get().task_id).update(enqueued_at=long_ago)

    assert finished_task_rows_delete() == 2

    left = {str(task_id) for task_id in DBTaskResult.objects.values_list("id", flat=True)}
    assert left == {str(recent), waiting.steps.get().task_id}
