"""Workflow 1: dispatch the totals recalculation chain of one customer-month.

The seed's UsageController::recalculateTotalUsage: set calculate_totals and
dispatch the chain, here in one transaction, with a dedupe key (a second click
while it runs returns the running job) and a lock key (two jobs never work on
one customer-month at the same time).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from telcost.customers.models import Customer
from telcost.jobs.kinds import Dispatched, JobKind, register
from telcost.jobs.models import Job, Step
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


def _has_not_read_the_cdrs_yet(job: Job) -> bool:
    """The chain's first step (rating, or the totals for a standard customer) has not started.

    It reads the month's CDRs when it starts, so it will see CDRs committed before now. Once it
    has started it may have read the month without them (a retried first step is queued again
    and reads it anew).
    """
    first = job.steps.filter(position=0).first()
    return first is None or first.status in (Step.Status.WAITING, Step.Status.QUEUED)


@dataclass(frozen=True)
class RecalculationParams:
    """What a recalculate_totals job recalculates (one customer-month), and why."""

    customer_id: int
    cycle_start: dt.date
    reason: str = "manual"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(customer_id=int(data["customer_id"]), cycle_start=dt.date.fromisoformat(data["cycle_start"]),
                   reason=data.get("reason", "manual"))

    def to_json(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "cycle_start": self.cycle_start.isoformat(), "reason": self.reason}


@transaction.atomic
def recalculation_dispatch(*, customer: Customer, cycle_start: dt.date, user=None, reason: str = "manual",
                           new_cdrs: bool = False) -> Dispatched:
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


def other_recalculations_active(*, customer_id: int, job_id: int | None) -> bool:
    """Another recalculation of this customer (any month) than job_id is pending or running."""
    return (Job.objects.filter(kind=RECALCULATE_TOTALS_KIND.name, customer_id=customer_id, status__in=Job.ACTIVE)
            .exclude(pk=job_id).exists())


def recalculation_status_write(*, customer_id: int, job_id: int | None, **changes) -> None:
    """Write the customer's recalculation status; calculate_totals comes down unless another
    recalculation of this customer than job_id is still pending or running. Inside a transaction.

    The customer row is locked before looking: of two chains that end at once, each alone would
    see the other still running and leave the flag raised for good; locked, the later one sees
    the earlier one ended.
    """
    list(Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True))
    if not other_recalculations_active(customer_id=customer_id, job_id=job_id):
        changes["calculate_totals"] = False
    if changes:
        Customer.objects.filter(pk=customer_id).update(**changes)


def recalculation_ended(job: Job, params: RecalculationParams) -> None:
    """A recalculation chain ended: the flag comes down if it was the last; a chain that did not
    complete says so in the status.

    The kind's reaction: after the transaction that ended the job, maybe more than once, maybe
    late (the recovery sweep runs it for a worker that died first). A failed or cancelled chain
    leaves the totals in place (and their version) untouched; the outcome tells what went wrong,
    unless a recalculation of the customer that ended later has told its own. A completed
    chain's SaveStatus has recorded its outcome.
    """
    if job.customer_id is None:
        return
    changes = {}
    if job.status != Job.Status.COMPLETED and not _ended_after(job):
        outcome = "cancelled" if job.status == Job.Status.CANCELLED else f"failed: {job.error}"
        changes["totals_outcome"] = outcome[:200]
    recalculation_status_write(customer_id=job.customer_id, job_id=job.pk, **changes)


def _ended_after(job: Job) -> bool:
    """Another recalculation of the job's customer ended after it."""
    return job.finished_at is not None and (
        Job.objects.filter(kind=RECALCULATE_TOTALS_KIND.name, customer_id=job.customer_id,
                           finished_at__gt=job.finished_at).exclude(pk=job.pk).exists())


RECALCULATE_TOTALS_KIND = register(JobKind(
    name="recalculate_totals",
    label=_("Recalculate totals"),
    params=RecalculationParams,
    on_ended=recalculation_ended,
    month=lambda params: f"{params.cycle_start:%Y-%m}",
))
