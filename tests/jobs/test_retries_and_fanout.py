import datetime as dt

import pytest
from django.utils import timezone

from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.kinds import FreeParams
from telcost.jobs.models import Job, Step
from telcost.jobs.registry import get_step
from telcost.jobs.services import (
    ChildSpec,
    StepSpec,
    job_cancel,
    job_dispatch,
    job_dispatch_fanout,
    job_retry_failed,
)


def run_due_backoffs():
    """Make steps waiting on a backoff due now, as if their run_after had passed."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(status="READY").update(
        run_after=timezone.now() - dt.timedelta(seconds=1)
    )


@pytest.mark.django_db
def test_transient_failure_is_retried_with_backoff_then_succeeds(customer, drain_jobs, monkeypatch):
    # Probe's own backoff (25-50 ms) could pass while drain_jobs is still looking on a loaded
    # machine, which then ran the retry too: a backoff no drain outlasts.
    monkeypatch.setattr(
        "telcost.jobs.registry.StepDefinition.backoff_seconds", lambda self, attempt: 600.0
    )
    job = job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe", {"transient_failures": 2})], customer=customer
    ).job
    drain_jobs()
    step = job.steps.get()
    assert step.status == Step.Status.QUEUED and step.attempts == 1
    assert step.run_after > timezone.now() - dt.timedelta(seconds=1), (
        "the retry waits for its backoff"
    )
    assert step.error == "transient failure on attempt 1"
    for _ in range(2):
        run_due_backoffs()
        drain_jobs()
    job.refresh_from_db()
    step.refresh_from_db()
    assert job.status == Job.Status.COMPLETED
    assert step.attempts == 3 and step.error == ""


@pytest.mark.django_db
def test_transient_failures_beyond_max_attempts_fail_the_job(customer, drain_jobs):
    job = job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe", {"transient_failures": 99})], customer=customer
    ).job
    for _ in range(get_step("Probe").max_attempts):
        run_due_backoffs()
        drain_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "Probe: transient failure on attempt 4"
    assert job.steps.get().attempts == 4


def test_backoff_grows_exponentially_and_is_capped():
    definition = get_step("Probe")
    assert all(0.025 <= definition.backoff_seconds(1) <= 0.05 for _ in range(50))
    assert all(0.1 <= definition.backoff_seconds(3) <= 0.2 for _ in range(50))
    assert all(definition.backoff_seconds(30) <= definition.backoff_max_s for _ in range(50))


@pytest.mark.django_db
def test_fanout_parent_counts_children_and_names_failures(customer, drain_jobs):
    children = [
        ChildSpec(
            kind=PROBE_KIND,
            customer=customer,
            steps=[StepSpec("Probe")],
            params=FreeParams({"n": i}),
        )
        for i in range(3)
    ]
    children.append(
        ChildSpec(
            kind=PROBE_KIND,
            customer=customer,
            steps=[StepSpec("Probe", {"permanent_error": "no rate plan"})],
            params=FreeParams({"n": 3}),
        )
    )
    parent = job_dispatch_fanout(kind=PROBE_KIND, children=children, customer=customer).job
    assert parent.status == Job.Status.RUNNING and parent.progress_total == 4
    drain_jobs()
    parent.refresh_from_db()
    assert parent.status == Job.Status.COMPLETED_WITH_FAILURES
    assert (parent.progress_done, parent.progress_failed) == (3, 1)
    [failure] = parent.result["failures"]
    assert failure["params"] == {"n": 3} and failure["error"] == "Probe: no rate plan"


@pytest.mark.django_db
def test_fanout_of_all_successes_completes(customer, drain_jobs):
    parent = job_dispatch_fanout(
        kind=PROBE_KIND,
        customer=customer,
        children=[ChildSpec(kind=PROBE_KIND, steps=[StepSpec("Probe")]) for _ in range(5)],
    ).job
    drain_jobs()
    parent.refresh_from_db()
    assert parent.status == Job.Status.COMPLETED and parent.progress_done == 5


@pytest.mark.django_db
def test_empty_fanout_completes_at_once(customer):
    parent = job_dispatch_fanout(kind=PROBE_KIND, customer=customer, children=[]).job
    assert parent.status == Job.Status.COMPLETED


@pytest.mark.django_db
def test_fanout_child_joins_an_active_job_with_the_same_key_instead_of_running_twice(
    customer, drain_jobs
):
    running = job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer, dedupe_key="totals:1:2026-09"
    ).job
    parent = job_dispatch_fanout(
        kind=PROBE_KIND,
        customer=customer,
        children=[
            ChildSpec(kind=PROBE_KIND, steps=[StepSpec("Probe")], dedupe_key="totals:1:2026-09"),
            ChildSpec(kind=PROBE_KIND, steps=[StepSpec("Probe")], dedupe_key="totals:1:2026-10"),
        ],
    ).job
    follower = parent.children.get(follows=running)
    assert not follower.steps.exists(), "the joined month is not run a second time"
    assert Job.objects.filter(dedupe_key="totals:1:2026-09").count() == 1
    drain_jobs()
    parent.refresh_from_db()
    follower.refresh_from_db()
    assert follower.status == Job.Status.COMPLETED
    assert parent.status == Job.Status.COMPLETED and parent.progress_done == 2


@pytest.mark.django_db
def test_retry_failed_reruns_only_the_failed_children(customer, drain_jobs):
    children = [
        ChildSpec(kind=PROBE_KIND, steps=[StepSpec("Probe")], params=FreeParams({"n": 0})),
        ChildSpec(
            kind=PROBE_KIND,
            steps=[StepSpec("Probe", {"permanent_error": "boom"})],
            params=FreeParams({"n": 1}),
        ),
    ]
    parent = job_dispatch_fanout(kind=PROBE_KIND, customer=customer, children=children).job
    drain_jobs()
    parent.refresh_from_db()
    assert parent.status == Job.Status.COMPLETED_WITH_FAILURES
    ok_child = parent.children.get(params={"n": 0})
    [retried] = job_retry_failed(job=parent)
    parent.refresh_from_db()
    assert (
        parent.status == Job.Status.RUNNING
        and parent.progress_failed == 0
        and parent.progress_done == 1
    )
    assert retried.params == {"n": 1} and retried.parent_id == parent.pk
    assert ok_child.steps.get().attempts == 1, "the successful child is not run again"
    drain_jobs()
    parent.refresh_from_db()
    # The step still fails permanently, and the parent says so again.
    assert parent.status == Job.Status.COMPLETED_WITH_FAILURES and parent.progress_failed == 1


@pytest.mark.django_db
def test_cancel_skips_waiting_steps(customer, drain_jobs):
    job = job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe"), StepSpec("Probe")], customer=customer
    ).job
    job_cancel(job=job)
    drain_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert set(job.steps.values_list("status", flat=True)) == {"skipped"}


@pytest.mark.django_db
def test_cancel_of_a_range_drops_children_not_started(customer, drain_jobs):
    parent = job_dispatch_fanout(
        kind=PROBE_KIND,
        customer=customer,
        children=[ChildSpec(kind=PROBE_KIND, steps=[StepSpec("Probe")]) for _ in range(3)],
    ).job
    job_cancel(job=parent)
    drain_jobs()
    assert set(parent.children.values_list("status", flat=True)) == {"cancelled"}
    assert not Step.objects.filter(job__parent=parent, status="succeeded").exists()
