"""Two workers, one customer-month: its handlers never run while another holds its lock, and clicks
never collide."""

import datetime as dt
import time

import pytest

from telcost.jobs.locks import exclusive
from telcost.jobs.models import Job, Step
from telcost.usage.models import CycleTotals, TotalsBackup
from telcost.usage.recalculation.services import recalculation_dispatch, recalculation_keys
from tests.conftest import wait_for
from tests.factories import CustomerFactory, DeviceFactory
from tests.usage.helpers import SEPT, add_cdr

OCT = dt.date(2026, 10, 1)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_held_customer_month_waits_while_another_month_goes_ahead(start_worker):
    customer = CustomerFactory()
    add_cdr(customer, duration_s=60)
    _, lock_key = recalculation_keys(customer_id=customer.pk, cycle_start=SEPT)
    start_worker("a")
    start_worker("b")
    # The test holds September's lock, as a handler of another job of that customer-month would.
    with exclusive(lock_key):
        september = recalculation_dispatch(customer=customer, cycle_start=SEPT).job
        october = recalculation_dispatch(customer=customer, cycle_start=OCT)
        wait_for(
            lambda: Job.objects.get(pk=october.pk).status == "completed",
            timeout=30,
            message="October",
        )
        wait_for(
            lambda: (
                Step.objects.filter(job=september, position=0).exclude(status="queued").exists()
            ),
            timeout=30,
            message="a worker to take September's first step",
        )
        time.sleep(1.0)  # ample time for a handler that ignored the lock to have written its totals
        assert not CycleTotals.objects.filter(customer=customer, cycle_start=SEPT).exists()
        assert Step.objects.get(job=september, position=0).status == "running"
    wait_for(
        lambda: Job.objects.get(pk=september.pk).status == "completed",
        timeout=30,
        message="September",
    )
    assert CycleTotals.objects.get(customer=customer, cycle_start=SEPT).version == 1


def test_clicks_on_many_customer_months_with_two_workers_all_end_in_consistent_versions(
    start_worker,
):
    customers = [CustomerFactory() for _ in range(3)]
    for customer in customers:
        device = DeviceFactory(customer=customer)
        for _ in range(20):
            add_cdr(customer, device, duration_s=30)
    start_worker("a")
    start_worker("b")
    jobs = []
    for _ in range(4):  # repeated clicks: some join a running chain, some start a new one
        for customer in customers:
            for month in (SEPT, OCT):
                jobs.append(recalculation_dispatch(customer=customer, cycle_start=month).pk)
        time.sleep(0.15)
    # Ended, and reacted to: the last chain's reaction lowers the flag.
    wait_for(
        lambda: not Job.objects.filter(pk__in=jobs, reacted_at__isnull=True).exists(),
        timeout=90,
        message="every recalculation",
    )
    assert set(Job.objects.filter(pk__in=jobs).values_list("status", flat=True)) == {"completed"}
    for customer in customers:
        for month in (SEPT, OCT):
            chains = Job.objects.filter(
                pk__in=set(jobs), customer=customer, params__cycle_start=month.isoformat()
            )
            versions = sorted(
                TotalsBackup.objects.filter(customer=customer, cycle_start=month).values_list(
                    "version", flat=True
                )
            )
            # One version per chain that ran, numbered without gaps, the last one in place.
            assert versions == list(range(1, chains.count() + 1))
            assert (
                CycleTotals.objects.get(customer=customer, cycle_start=month).version
                == versions[-1]
            )
        customer.refresh_from_db()
        assert customer.calculate_totals is False and customer.totals_outcome == "ok"
