"""Workflow 1: dispatch the totals recalculation chain of one customer-month.

The seed's UsageController::recalculateTotalUsage: set calculate_totals and
dispatch the chain, here in one transaction, with a dedupe key (a second click
while it runs returns the running job) and a lock key (two jobs never work on
one customer-month at the same time).
"""

import datetime as dt

from django.db import transaction

from telcost.customers.models import Customer
from telcost.jobs.kinds import Dispatched
from telcost.jobs.models import Job, Step
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.usage.billing.cost import cost_rule
from telcost.usage.billing.totals import month_lock_key
from telcost.usage.recalculation.status import RECALCULATE_TOTALS_KIND, RecalculationParams

# Versions are positive and stored in a 32-bit column; anything else names no version.
MAX_VERSION = 2**31 - 1


def valid_version(number: int) -> bool:
    return 0 < number <= MAX_VERSION


def recalculation_keys(*, customer_id: int, cycle_start: dt.date) -> tuple[str, str]:
    # One chain per month at a time (dedupe), taking turns with every job on the month (lock).
    key = month_lock_key(customer_id=customer_id, cycle_start=cycle_start)
    return key, key


def recalculation_steps(*, customer: Customer, cycle_start: dt.date, user=None) -> list[StepSpec]:
    chain = [
        "CalculateTotalsCommand",
        "BillingInsightTotalsCommand",
        "SaveStatusCommand",
        "DispatchTotalsBackupCommand",
        # Last: every recalculation (a click, a sync, a partner range) evaluates the alert rules.
        "EvaluateAlertsCommand",
    ]
    if cost_rule(customer).rates:
        chain.insert(0, "CalculateTotalsRateplanCommand")
    return [StepSpec(name) for name in chain]


def _has_not_read_the_cdrs_yet(job: Job) -> bool:
    """The chain's first step (rating, or the totals for a standard customer) has not started.

    It reads the month's CDRs when it starts, so it will see CDRs committed before now. Once it
    has started it may have read the month without them (a retried first step is queued again
    and reads it anew).
    """
    first = job.steps.filter(position=0).first()
    return first is None or first.status in (Step.Status.WAITING, Step.Status.QUEUED)


@transaction.atomic
def recalculation_dispatch(
    *,
    customer: Customer,
    cycle_start: dt.date,
    user=None,
    reason: str = "manual",
    new_cdrs: bool = False,
) -> Dispatched:
    """Dispatch the chain, or join the one of this customer-month that is pending or running.

    A repeated click joins it whatever its progress (the seed's behaviour). After an import of
    new CDRs (`new_cdrs`), a chain that has already read the month would leave them out of the
    totals, so then a follow-up chain comes after it instead, shared by the imports that arrive
    before that one starts reading.
    """
    dedupe_key, lock_key = recalculation_keys(customer_id=customer.pk, cycle_start=cycle_start)
    Customer.objects.filter(pk=customer.pk).update(calculate_totals=True)
    return job_dispatch(
        kind=RECALCULATE_TOTALS_KIND,
        customer=customer,
        created_by=user,
        params=RecalculationParams(customer_id=customer.pk, cycle_start=cycle_start, reason=reason),
        steps=recalculation_steps(customer=customer, cycle_start=cycle_start, user=user),
        dedupe_key=dedupe_key,
        lock_key=lock_key,
        joinable=_has_not_read_the_cdrs_yet if new_cdrs else None,
        overflow_key=f"{dedupe_key}:follow-up" if new_cdrs else None,
    )
