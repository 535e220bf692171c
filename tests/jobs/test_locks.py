"""Two jobs with one lock key never run their handlers at the same time, even on two workers."""

import pytest

from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.models import Job, Step
from telcost.jobs.services import StepSpec, job_dispatch
from tests.conftest import wait_for


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_handlers_of_one_lock_key_do_not_overlap_on_two_workers(customer, start_worker):
    jobs = [
        job_dispatch(
            kind=PROBE_KIND,
            customer=customer,
            steps=[StepSpec("Probe", {"sleep_s": 1})],
            lock_key="totals:1:2026-09",
        ).job
        for _ in range(2)
    ]
    free = job_dispatch(
        kind=PROBE_KIND,
        customer=customer,
        steps=[StepSpec("Probe", {"sleep_s": 1})],
        lock_key="totals:1:2026-10",
    ).job
    start_worker("a")
    start_worker("b")
    ids = [j.pk for j in [*jobs, free]]
    wait_for(
        lambda: Job.objects.filter(pk__in=ids, status="completed").count() == 3,
        timeout=60,
        message="3 jobs",
    )
    a, b = (Step.objects.get(job=j) for j in jobs)
    # started_at is taken at claim time, before the lock, so both may be claimed at once and the
    # first claimed need not be the first to hold the lock. The handlers' work happens under it:
    # whichever finished second cannot have finished less than a full sleep after the other.
    first, second = sorted([a, b], key=lambda s: s.finished_at)
    assert (second.finished_at - first.finished_at).total_seconds() >= 0.9
    assert {a.worker, b.worker} <= {"a-0", "b-1"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_chains_of_one_lock_key_run_whole_one_after_the_other(customer, start_worker):
    """A chain holds its key from its first step to its last: no other chain of the key runs a step
    in between, though workers are free; chains of another key go ahead meanwhile."""
    steps = [StepSpec("Probe", {"sleep_s": 0.3})] * 3
    chains = [
        job_dispatch(
            kind=PROBE_KIND, customer=customer, steps=steps, lock_key="totals:1:2026-09"
        ).job
        for _ in range(3)
    ]
    other = job_dispatch(
        kind=PROBE_KIND, customer=customer, steps=steps, lock_key="totals:1:2026-10"
    ).job
    for name in "abc":
        start_worker(name)
    ids = [j.pk for j in [*chains, other]]
    wait_for(
        lambda: Job.objects.filter(pk__in=ids, status="completed").count() == 4,
        timeout=90,
        message="4 chains",
    )
    spans = []
    for job in chains:
        job_steps = list(Step.objects.filter(job=job).order_by("position"))
        assert [s.attempts for s in job_steps] == [1, 1, 1], "waiting for the key is not an attempt"
        spans.append((job_steps[0].started_at, job_steps[-1].finished_at))
    # In the order they were asked for, each starting after the one before ended.
    for (_, ended), (started, _) in zip(spans, spans[1:], strict=False):
        assert started >= ended
    other_start = Step.objects.get(job=other, position=0).started_at
    assert other_start < spans[-1][0], "another key's chain did not wait for this key's chains"


@pytest.mark.django_db
def test_a_chain_waiting_for_its_key_is_requeued_not_failed_and_woken_when_the_key_is_free(
    customer, drain_jobs
):
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    holder = job_dispatch(
        kind=PROBE_KIND, customer=customer, steps=[StepSpec("Probe")], lock_key="k"
    ).job
    waiter = job_dispatch(
        kind=PROBE_KIND, customer=customer, steps=[StepSpec("Probe")], lock_key="k"
    ).job
    # The holder has taken the key; its step is not due yet (a backoff, say).
    Job.objects.filter(pk=holder.pk).update(lock_acquired_at=timezone.now())
    holder_task = Step.objects.get(job=holder).task_id
    later = timezone.now() + dt.timedelta(hours=1)
    DBTaskResult.objects.filter(id=holder_task).update(run_after=later)
    drain_jobs()
    waiting = Step.objects.get(job=waiter)
    assert (waiting.status, waiting.attempts) == ("queued", 0)
    assert Job.objects.get(pk=waiter.pk).status == "pending"
    assert DBTaskResult.objects.get(id=waiting.task_id).run_after > timezone.now(), "it polls later"
    DBTaskResult.objects.filter(id=holder_task).update(run_after=timezone.now())
    drain_jobs()  # the holder ends and wakes the waiter, which runs at once in the same drain
    both = Job.objects.filter(pk__in=[holder.pk, waiter.pk])
    assert list(both.values_list("status", flat=True)) == ["completed", "completed"]


@pytest.mark.django_db
@pytest.mark.parametrize("end", ["failed", "cancelled"])
def test_a_chain_that_fails_or_is_cancelled_frees_its_key(customer, drain_jobs, end):
    from telcost.jobs.services import job_cancel

    params = {"permanent_error": "no"} if end == "failed" else {}
    first = job_dispatch(
        kind=PROBE_KIND, customer=customer, steps=[StepSpec("Probe", params)] * 2, lock_key="k"
    ).job
    second = job_dispatch(
        kind=PROBE_KIND, customer=customer, steps=[StepSpec("Probe")], lock_key="k"
    ).job
    if end == "cancelled":
        job_cancel(job=first)
    drain_jobs()
    assert Job.objects.get(pk=first.pk).status == end
    assert Job.objects.get(pk=second.pk).status == "completed"
