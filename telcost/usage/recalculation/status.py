"""The status of a customer's recalculations: SaveStatusCommand, and what the end of a chain writes.

calculate_totals stays raised while any recalculation of the customer is pending or running.
The recalculate_totals job kind is declared here, with its parameters, because its reaction to
a chain's end is one of these writes (and the writes ask for the kind's active jobs).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telcost.customers.models import Customer
from telcost.jobs.kinds import JobKind, register
from telcost.jobs.models import Job


@dataclass(frozen=True)
class RecalculationParams:
    """What a recalculate_totals job recalculates (one customer-month), and why."""

    customer_id: int
    cycle_start: dt.date
    reason: str = "manual"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            customer_id=int(data["customer_id"]),
            cycle_start=dt.date.fromisoformat(data["cycle_start"]),
            reason=data.get("reason", "manual"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "cycle_start": self.cycle_start.isoformat(),
            "reason": self.reason,
        }


def other_recalculations_active(*, customer_id: int, job_id: int | None) -> bool:
    """Another recalculation of this customer (any month) than job_id is pending or running."""
    return (
        Job.objects.filter(
            kind=RECALCULATE_TOTALS_KIND.name, customer_id=customer_id, status__in=Job.ACTIVE
        )
        .exclude(pk=job_id)
        .exists()
    )


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
        Job.objects.filter(
            kind=RECALCULATE_TOTALS_KIND.name,
            customer_id=job.customer_id,
            finished_at__gt=job.finished_at,
        )
        .exclude(pk=job.pk)
        .exists()
    )


RECALCULATE_TOTALS_KIND = register(
    JobKind(
        name="recalculate_totals",
        label=_("Recalculate totals"),
        params=RecalculationParams,
        on_ended=recalculation_ended,
        month=lambda params: f"{params.cycle_start:%Y-%m}",
    )
)


def customer_status_save(
    *,
    customer: Customer,
    user=None,
    version: int | None,
    outcome: str = "ok",
    job_id: int | None = None,
) -> None:
    """SaveStatusCommand: the recalculation is done; record when, by whom, which version, how it
    went.

    calculate_totals comes down unless another recalculation of this customer than job_id (the
    chain saving its status) is still under way: another month, or a sync's follow-up chain.
    """
    with transaction.atomic():
        recalculation_status_write(
            customer_id=customer.pk,
            job_id=job_id,
            totals_calculated_at=timezone.now(),
            totals_calculated_by=user if getattr(user, "pk", None) else None,
            totals_version=version,
            totals_outcome=outcome[:200],
        )
