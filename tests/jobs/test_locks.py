"""Two jobs with one lock key never run their handlers at the same time, even on two workers."""

import pytest

from telcost.jobs.models import Job, Step
from telcost.jobs.services import StepSpec, job_dispatch
from tests.conftest import wait_for


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_handlers_of_one_lock_key_do_not_overlap_on_two_workers(customer, start_worker):
    jobs = [
        job_dispatch(kind="probe", customer=customer, steps=[StepSpec("Probe", {"sleep_s": 1})], lock_key="totals:1:2026-09")
        for _ in range(2)
    ]
    free = job_dispatch(kind="probe", customer=customer, steps=[StepSpec("Probe", {"sleep_s": 1})], lock_key="totals:1:2026-10")
    start_worker("a")
    start_worker("b")
    ids = [j.pk for j in [*jobs, free]]
    wait_for(lambda: Job.objects.filter(pk__in=ids, status="completed").count() == 3, timeout=60, message="3 jobs")
    a, b = (Step.objects.get(job=j) for j in jobs)
    # started_at is taken at claim time, before the lock, so both may be claimed at once and the
    # first claimed need not be the first to hold the lock. The handlers' work happens under it:
    # whichever finished second cannot have finished less than a full sleep after the other.
    first, second = sorted([a, b], key=lambda s: s.finished_at)
    assert (second.finished_at - first.finished_at).total_seconds() >= 0.9
    assert {a.worker, b.worker} <= {"a-0", "b-1"}
