"""The worker's hot path (jobs/hotpath.py): a step claimed with its task row, its success and the
task row's end written together, and few statements per step."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from telcost.jobs import runner
from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.models import Job, Step
from telcost.jobs.services import StepSpec, job_cancel, job_dispatch


@pytest.mark.django_db
def test_the_task_row_ends_with_its_step(customer, drain_jobs):
    chain = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")] * 3, customer=customer).job
    lone = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")], customer=customer).job
    drain_jobs()
    for job in (chain, lone):
        job.refresh_from_db()
        assert job.status == Job.Status.COMPLETED and job.started_at and job.finished_at
        assert job.progress_done == job.progress_total and job.reacted_at is not None
        for step in job.steps.all():
            assert step.status == "succeeded" and step.attempts == 1
            assert step.worker == runner.WORKER_ID  # what owns_step() compares with
            row = DBTaskResult.objects.get(id=step.task_id)
            assert row.status == "SUCCESSFUL" and row.finished_at is not None
            assert row.worker_ids == ["pytest"]


@pytest.mark.django_db
def test_a_failed_steps_task_row_ends_too(customer, drain_jobs):
    job = job_dispatch(
        kind=PROBE_KIND,
        steps=[StepSpec("Probe", {"permanent_error": "no such number"})],
        customer=customer,
    ).job
    drain_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    row = DBTaskResult.objects.get(id=job.steps.get().task_id)
    assert (
        row.status == "SUCCESSFUL" and row.finished_at is not None
    )  # the task ran; the step failed


@pytest.mark.django_db
def test_a_cancelled_jobs_step_is_not_claimed_with_its_task(customer, drain_jobs):
    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")] * 2, customer=customer).job
    job_cancel(job=job)
    drain_jobs()
    assert set(job.steps.values_list("status", "attempts")) == {("skipped", 0)}
    assert not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()


@pytest.mark.django_db
def test_a_lone_step_costs_three_statements_on_postgresql(customer, drain_jobs):
    """Claim with its task, success with its job and task row, the reaction: a regression in the
    engine's round trips shows here before it shows in bench_jobs.py. SQLite, with no network to
    cross, takes a few more, simpler ones."""
    for _ in range(5):
        job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")], customer=customer)
    drain_jobs()  # the timers' first run, which is not per step
    for _ in range(10):
        job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")], customer=customer)
    with CaptureQueriesContext(connection) as queries:
        drain_jobs()
    assert Job.objects.filter(status="completed").count() == 15
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]  # the test's atomic
    # The last claim of each drain pass finds nothing.
    per_step = (len(statements) - 2) / 10
    assert per_step <= (3 if connection.vendor == "postgresql" else 9), statements[:12]
    assert Step.objects.filter(status="succeeded").count() == 15
