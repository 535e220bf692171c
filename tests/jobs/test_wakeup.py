"""Idle workers wake when a step is queued (PostgreSQL LISTEN/NOTIFY), not at their next poll;
the poll stays the fallback (issue 19 item 2)."""

import time

import pytest
from django.db import connection  # noqa: F401 (read by the skipif condition)

from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch
from tests.conftest import wait_for

postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="SQLite has no notifications: workers poll"
)
# Far longer than any wait below: a job that ends in time was started by the notification.
LONG_POLL = 60


def _probe(customer) -> Job:
    return job_dispatch(kind=PROBE_KIND, customer=customer, steps=[StepSpec("Probe", {})]).job


def _ended(job: Job) -> bool:
    return Job.objects.get(pk=job.pk).status not in Job.ACTIVE


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_idle_worker_starts_a_dispatched_step_without_waiting_for_its_poll(
    customer, start_worker
):
    start_worker("a", interval=LONG_POLL)
    # The first job may be found by the worker's first poll; after it, the worker is idle.
    first = _probe(customer)
    wait_for(lambda: _ended(first), timeout=45, message="the first job (the worker's start)")
    time.sleep(0.5)
    second = _probe(customer)
    wait_for(lambda: _ended(second), timeout=15, message="the notified worker to run the job")
    assert Job.objects.get(pk=second.pk).status == "completed"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_without_listening_the_idle_worker_waits_for_its_poll(customer, start_worker):
    """The other side of the test above: it would pass without notifications otherwise."""
    start_worker("a", interval=LONG_POLL, TELCOST_JOBS_LISTEN="false")
    first = _probe(customer)
    wait_for(lambda: _ended(first), timeout=45, message="the first job (the worker's start)")
    time.sleep(0.5)
    second = _probe(customer)
    time.sleep(5)
    assert not _ended(second)
