"""A job kind's reaction to the end of a job: after the end commits, once, even across a worker's
death."""

import datetime as dt
import signal
import time

import pytest
from django.utils import timezone

from telcost.jobs.diagnostics import PROBE_KIND, probe_log_lines
from telcost.jobs.kinds import FreeParams
from telcost.jobs.models import Job
from telcost.jobs.recovery import recover_lost_reactions
from telcost.jobs.runner import run_step
from telcost.jobs.services import StepSpec, job_dispatch
from tests.conftest import wait_for

FAST_RECOVERY = {
    "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
    "TELCOST_JOBS_STALE_AFTER_SECONDS": "2",
    "TELCOST_JOBS_SWEEP_SECONDS": "0.5",
}


def probe_job(customer, **params) -> Job:
    return job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer, params=FreeParams(params)
    ).job


@pytest.mark.django_db(transaction=True)
def test_a_reaction_that_raises_leaves_the_steps_success_committed(customer, tmp_path, caplog):
    # It used to run inside the transaction that recorded the success, and took it down with it.
    job = probe_job(customer, reaction_error="the export row is locked")
    with caplog.at_level("ERROR"):
        run_step(job.steps.get().pk)
    job.refresh_from_db()
    assert job.status == Job.Status.COMPLETED and job.steps.get().status == "succeeded"
    assert job.result == {"probe_0": "ok"}
    assert job.reacted_at is None  # for the recovery sweep to try again
    assert "the export row is locked" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_reaction_runs_after_commit_once_and_is_recorded(customer, tmp_path):
    log = str(tmp_path / "reactions.log")
    job = probe_job(customer, reaction_log=log)
    run_step(job.steps.get().pk)
    job.refresh_from_db()
    assert probe_log_lines(log) == [f"reacted {job.pk} completed"]
    assert job.reacted_at is not None and job.reacted_at >= job.finished_at
    assert recover_lost_reactions() == 0
    assert probe_log_lines(log) == [f"reacted {job.pk} completed"]


@pytest.mark.django_db
def test_recovery_runs_a_reaction_lost_long_enough_ago_once(customer, tmp_path, settings):
    log = str(tmp_path / "reactions.log")
    lost, recent = probe_job(customer, reaction_log=log), probe_job(customer, reaction_log=log)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS + 5)
    # Ended, and their worker died before the reaction; the recent one's may still be coming.
    Job.objects.filter(pk=lost.pk).update(
        status="failed", error="Probe: boom", finished_at=long_ago
    )
    Job.objects.filter(pk=recent.pk).update(
        status="failed", error="Probe: boom", finished_at=timezone.now()
    )
    assert recover_lost_reactions() == 1
    assert recover_lost_reactions() == 0
    assert probe_log_lines(log) == [f"reacted {lost.pk} failed"]
    assert Job.objects.get(pk=lost.pk).reacted_at is not None
    assert Job.objects.get(pk=recent.pk).reacted_at is None


@pytest.mark.django_db
def test_recovery_tries_a_failed_reaction_again_and_goes_on_with_the_others(
    customer, tmp_path, settings
):
    log = str(tmp_path / "reactions.log")
    broken, fine = (
        probe_job(customer, reaction_error="still broken"),
        probe_job(customer, reaction_log=log),
    )
    long_ago = timezone.now() - dt.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS + 5)
    Job.objects.filter(pk__in=[broken.pk, fine.pk]).update(status="completed", finished_at=long_ago)
    assert recover_lost_reactions() == 1
    assert probe_log_lines(log) == [f"reacted {fine.pk} completed"]
    assert Job.objects.get(pk=broken.pk).reacted_at is None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_the_jobs_end_and_its_reaction_leaves_it_to_recovery(
    customer, tmp_path, start_worker
):
    log, marker = str(tmp_path / "reactions.log"), str(tmp_path / "killed")
    job = probe_job(customer, reaction_log=log, reaction_kill_marker=marker)
    doomed = start_worker("doomed", **FAST_RECOVERY)
    assert doomed.wait(timeout=60) == -signal.SIGKILL  # the reaction killed it, once
    job.refresh_from_db()
    assert job.status == Job.Status.COMPLETED and job.reacted_at is None
    assert probe_log_lines(log) == []
    start_worker("rescuer", **FAST_RECOVERY)
    wait_for(
        lambda: Job.objects.get(pk=job.pk).reacted_at is not None,
        timeout=30,
        message="the recovery sweep to run the reaction",
    )
    time.sleep(1.5)  # three more sweeps: they leave it alone
    assert probe_log_lines(log) == [f"reacted {job.pk} completed"]
