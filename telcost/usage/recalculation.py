"""Workflow 1: dispatch the totals recalculation chain of one customer-month.

The seed's UsageController::recalculateTotalUsage: set calculate_totals and
dispatch the chain, here in one transaction, with a dedupe key (a second click
while it runs returns the running job) and a lock key (two jobs never work on
one customer-month at the same time).
"""

import datetime as dt

from django.db import transaction

from telcost.customers.models import Customer
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch

# Versions are positive and stored in a 32-bit column; anything else names no version.
MAX_VERSION = 2**31 - 1


def valid_version(number: int) -> bool:
    return 0 < number <= MAX_VERSION


def recalculation_keys(*, customer_id: int, cycle_start: dt.date) -> tuple[str, str]:
    key = f"totals:{customer_id}:{cycle_start:%Y-%m}"
    return key, key


def recalculation_steps(*, customer: Customer, cycle_start: dt.date, user=None) -> list[StepSpec]:
    chain = ["CalculateTotalsCommand", "BillingInsightTotalsCommand", "SaveStatusCommand", "DispatchTotalsBackupCommand"]
    if customer.is_rateplan:
        chain.insert(0, "CalculateTotalsRateplanCommand")
    return [StepSpec(name) for name in chain]


@transaction.atomic
def recalculation_dispatch(*, customer: Customer, cycle_start: dt.date, user=None, reason: str = "manual") -> Job:
    dedupe_key, lock_key = recalculation_keys(customer_id=customer.pk, cycle_start=cycle_start)
    Customer.objects.filter(pk=customer.pk).update(calculate_totals=True)
    return job_dispatch(
        kind="recalculate_totals",
        customer=customer,
        created_by=user,
        params={"customer_id": customer.pk, "cycle_start": cycle_start.isoformat(), "reason": reason},
        steps=recalculation_steps(customer=customer, cycle_start=cycle_start, user=user),
        dedupe_key=dedupe_key,
        lock_key=lock_key,
    )
