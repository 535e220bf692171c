"""The status of a customer's recalculations: SaveStatusCommand, and what the end of a chain writes.

calculate_totals stays raised while any recalculation of the customer is pending or running.
"""

from django.db import transaction
from django.utils import timezone

from telcost.customers.models import Customer
from telcost.jobs.models import Job


def other_recalculations_active(*, customer_id: int, job_id: int | None) -> bool:
    """Another recalculation of this customer (any month) than job_id is pending or running."""
    return (Job.objects.filter(kind="recalculate_totals", customer_id=customer_id, status__in=Job.ACTIVE)
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


def recalculation_ended(*, job: Job) -> None:
    """A recalculation chain ended: the flag comes down if it was the last; a chain that did not
    complete says so in the status.

    Called when a job of kind recalculate_totals ends, inside the transaction that ended it.
    A failed or cancelled chain leaves the totals in place (and their version) untouched; the
    outcome tells what went wrong. A completed chain's SaveStatus has recorded its outcome.
    """
    if job.kind != "recalculate_totals" or job.customer_id is None:
        return
    changes = {}
    if job.status != Job.Status.COMPLETED:
        outcome = "cancelled" if job.status == Job.Status.CANCELLED else f"failed: {job.error}"
        changes["totals_outcome"] = outcome[:200]
    recalculation_status_write(customer_id=job.customer_id, job_id=job.pk, **changes)


def customer_status_save(*, customer: Customer, user=None, version: int | None, outcome: str = "ok",
                         job_id: int | None = None) -> None:
    """SaveStatusCommand: the recalculation is done; record when, by whom, which version, how it went.

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
