"""A worker killed mid-chain: another one finishes it, with the totals of an uninterrupted run."""

import os
import signal

import pytest

from telcost.demo.generator import generate_cdrs
from telcost.jobs.models import Job, Step
from telcost.usage.recalculation.services import recalculation_dispatch
from telcost.usage.selectors import totals_get
from tests.conftest import wait_for
from tests.factories import DeviceFactory
from tests.usage.helpers import SEPT, plan_with

FAST_RECOVERY = {
    "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
    "TELCOST_JOBS_STALE_AFTER_SECONDS": "2",
    "TELCOST_JOBS_SWEEP_SECONDS": "0.5",
}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_chain_completes_after_a_kill_with_the_same_totals(rated_customer, start_worker):
    customer = rated_customer(plan_with())
    devices = [DeviceFactory(customer=customer) for _ in range(50)]
    generate_cdrs(customer=customer, devices=devices, cycle_start=SEPT, count=40_000, seed=7)
    job = recalculation_dispatch(customer=customer, cycle_start=SEPT).job
    doomed = start_worker("doomed", **FAST_RECOVERY)
    wait_for(
        lambda: Step.objects.filter(job=job, status="running").exists(),
        timeout=60,
        message="a step to run",
    )
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    assert Job.objects.get(pk=job.pk).status in Job.ACTIVE
    start_worker("rescuer", **FAST_RECOVERY)
    wait_for(
        lambda: Job.objects.get(pk=job.pk).status in ("completed", "failed"),
        timeout=120,
        message="the chain",
    )
    job.refresh_from_db()
    assert job.status == "completed", job.error
    interrupted = totals_get(customer=customer, cycle_start=SEPT)
    again = recalculation_dispatch(customer=customer, cycle_start=SEPT)
    wait_for(
        lambda: Job.objects.get(pk=again.pk).status == "completed",
        timeout=120,
        message="the second run",
    )
    clean = totals_get(customer=customer, cycle_start=SEPT)
    assert interrupted["version"] == 1 and clean["version"] == 2
    for answer in (interrupted, clean):
        answer.pop("version")
        answer.pop("calculated_at")
    assert interrupted == clean
