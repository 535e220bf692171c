"""Lost database connections and lost heartbeats, with real workers.

A lost connection is transient in every step: the engine closes the broken connection and
retries the step. The heartbeat reconnects after its connection is lost; a worker whose step
was taken from it, or that could not beat for longer than the stale limit, stops the handler
instead of running on beside another worker.
"""

import time

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from telcost.jobs.diagnostics import PROBE_KIND, probe_log_lines
from telcost.jobs.models import Job, Step
from telcost.jobs.services import StepSpec, job_dispatch
from tests.conftest import wait_for

FAST_RECOVERY = {
    "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
    "TELCOST_JOBS_STALE_AFTER_SECONDS": "2",
    "TELCOST_JOBS_SWEEP_SECONDS": "0.5",
}

postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="terminates backends"
)


def terminate_backends(query_like: str) -> int:
    """pg_terminate_backend the test database's other sessions whose last query matches."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE %s",
            [query_like],
        )
        return sum(1 for (ok,) in cursor.fetchall() if ok)


def log_of(worker) -> str:
    with open(worker.log_path) as f:
        return f.read()


@pytest.mark.django_db
def test_a_lost_connection_is_transient_in_every_step():
    """Exports and imports failed for good on "terminating connection"; recalculations retried."""
    from django.db import InterfaceError, OperationalError

    from telcost.jobs.registry import registered_steps

    lost = [
        OperationalError("terminating connection due to administrator command"),
        OperationalError("server closed the connection unexpectedly"),
        OperationalError("consuming input failed: server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
    ]
    for name, definition in registered_steps().items():
        for exc in lost:
            assert definition.is_transient(exc), f"{name}: {exc}"
    # Other database errors stay the step's own business: a bad query is not retried by default.
    probe = registered_steps()["Probe"]
    assert not probe.is_transient(OperationalError('column "x" does not exist'))


@pytest.mark.slow
@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_step_whose_connection_is_terminated_is_retried_and_completes(
    customer, start_worker, tmp_path
):
    log = str(tmp_path / "probe.log")
    job = job_dispatch(
        kind=PROBE_KIND, customer=customer, steps=[StepSpec("Probe", {"log": log, "sleep_s": 2})]
    ).job
    worker = start_worker("a")
    wait_for(
        lambda: "start Probe#0 attempt 1" in probe_log_lines(log),
        timeout=30,
        message="the step to start",
    )
    # The handler's own connection: the one asking whether its job was cancelled.
    wait_for(
        lambda: terminate_backends('%"jobs_job"."status" = %cancelled%'),
        timeout=10,
        message="the handler's connection to be terminated",
    )
    wait_for(
        lambda: Job.objects.get(pk=job.pk).status not in Job.ACTIVE,
        timeout=30,
        message="the job to end",
    )
    step = Step.objects.get(job=job)
    assert Job.objects.get(pk=job.pk).status == "completed", step.error
    assert step.attempts == 2 and "start Probe#0 attempt 2" in probe_log_lines(log)
    assert probe_log_lines(log).count("done Probe#0") == 1
    assert worker.poll() is None, "the worker lives on"


@pytest.mark.slow
@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_reconnects_after_its_connection_is_terminated(
    customer, start_worker, tmp_path
):
    """It failed for ever before: another worker took the step over while the first still ran it."""
    log = str(tmp_path / "probe.log")
    job = job_dispatch(
        kind=PROBE_KIND, customer=customer, steps=[StepSpec("Probe", {"log": log, "sleep_s": 5})]
    ).job
    worker = start_worker("a", **FAST_RECOVERY)
    wait_for(
        lambda: "start Probe#0 attempt 1" in probe_log_lines(log),
        timeout=30,
        message="the step to start",
    )
    start_worker("b", **FAST_RECOVERY)  # would take the step over if its heartbeat went stale
    wait_for(
        lambda: terminate_backends('UPDATE "jobs_step" SET "heartbeat_at"%'),
        timeout=10,
        message="the heartbeat's connection to be terminated",
    )
    wait_for(
        lambda: Job.objects.get(pk=job.pk).status not in Job.ACTIVE,
        timeout=30,
        message="the job to end",
    )
    assert Job.objects.get(pk=job.pk).status == "completed"
    assert Step.objects.get(job=job).attempts == 1
    assert probe_log_lines(log) == ["start Probe#0 attempt 1", "done Probe#0"]
    assert "heartbeat of step" in log_of(worker), "the heartbeat did lose its connection"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_step_taken_from_its_worker_is_abandoned_not_run_on(customer, start_worker, tmp_path):
    log = str(tmp_path / "probe.log")
    job = job_dispatch(
        kind=PROBE_KIND, customer=customer, steps=[StepSpec("Probe", {"log": log, "sleep_s": 4})]
    ).job
    start_worker("a", **FAST_RECOVERY)
    wait_for(
        lambda: "start Probe#0 attempt 1" in probe_log_lines(log),
        timeout=30,
        message="the step to start",
    )
    # As recovery and another worker's claim would, had this worker's heartbeat not come through.
    Step.objects.filter(job=job).update(
        attempts=F("attempts") + 1, worker="thief", heartbeat_at=timezone.now()
    )
    wait_for(
        lambda: Job.objects.get(pk=job.pk).status not in Job.ACTIVE,
        timeout=40,
        message="the job to end",
    )
    lines = probe_log_lines(log)
    assert Job.objects.get(pk=job.pk).status == "completed"
    # Attempt 1 stopped; the thief's attempt 2 never ran, so recovery gave the step a third.
    assert "start Probe#0 attempt 3" in lines and lines.count("done Probe#0") == 1, lines


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_cannot_beat_for_the_stale_limit_abandons_its_step(
    customer, start_worker, tmp_path
):
    log = str(tmp_path / "probe.log")
    job = job_dispatch(
        kind=PROBE_KIND, customer=customer, steps=[StepSpec("Probe", {"log": log, "sleep_s": 6})]
    ).job
    start_worker("a", **FAST_RECOVERY)
    wait_for(
        lambda: "start Probe#0 attempt 1" in probe_log_lines(log),
        timeout=30,
        message="the step to start",
    )
    # Writes to the step's row wait (PostgreSQL: its row lock; SQLite: the write lock) longer than
    # the stale limit: by then another worker may have taken the step, so this one must stop.
    with transaction.atomic():
        Step.objects.select_for_update().filter(job=job).update(error="")
        time.sleep(3.5)
    wait_for(
        lambda: Job.objects.get(pk=job.pk).status not in Job.ACTIVE,
        timeout=40,
        message="the job to end",
    )
    lines = probe_log_lines(log)
    assert Job.objects.get(pk=job.pk).status == "completed"
    assert "start Probe#0 attempt 2" in lines and lines.count("done Probe#0") == 1, lines
