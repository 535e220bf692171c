"""Workflow 6: recalculate the totals of a partner (or one customer) over a range of months.

One parent job, one child per customer-month, each child being workflow 1's
chain. The job engine runs the children in parallel on whatever workers there
are, keeps two of them off one customer-month (lock key), and lets a child join
a recalculation of that customer-month that is already under way (dedupe key).
"""

import datetime as dt

from django.db import transaction

from telcost.core.cycles import BadCycle, months_between, requested_month
from telcost.customers.models import Customer
from telcost.jobs.models import Job
from telcost.jobs.services import ChildSpec, job_dispatch_fanout
from telcost.usage.recalculation.services import recalculation_keys, recalculation_steps

MAX_MONTHS = 36


class BadRange(ValueError):
    """A date range that cannot be recalculated; the message is fit for a 400 answer."""


def partner_recalculation_months(*, start_date: dt.date, end_date: dt.date) -> list[dt.date]:
    try:
        start_date, end_date = requested_month(start_date), requested_month(end_date)
    except BadCycle as exc:
        raise BadRange(str(exc)) from None
    if end_date < start_date:
        raise BadRange("end_date is before start_date")
    months = months_between(start_date, end_date)
    if len(months) > MAX_MONTHS:
        raise BadRange(f"at most {MAX_MONTHS} months at once, asked for {len(months)}")
    return months


def partner_recalculation_targets(*, customer: Customer) -> list[Customer]:
    """A partner's customers, and the partner itself if it has devices; else the customer alone."""
    children = list(customer.children.order_by("name", "pk"))
    if not children:
        return [customer]
    if customer.devices.exists():
        children.insert(0, customer)
    return children


@transaction.atomic
def partner_recalculation_dispatch(*, customer: Customer, start_date: dt.date, end_date: dt.date, user) -> Job:
    months = partner_recalculation_months(start_date=start_date, end_date=end_date)
    targets = partner_recalculation_targets(customer=customer)
    children = []
    for target in targets:
        for cycle_start in months:
            dedupe_key, lock_key = recalculation_keys(customer_id=target.pk, cycle_start=cycle_start)
            children.append(
                ChildSpec(
                    kind="recalculate_totals",
                    customer=target,
                    steps=recalculation_steps(customer=target, cycle_start=cycle_start, user=user),
                    params={"customer_id": target.pk, "cycle_start": cycle_start.isoformat(), "reason": "partner range"},
                    dedupe_key=dedupe_key,
                    lock_key=lock_key,
                )
            )
    # The seed's flag: these customers' totals are being recalculated.
    Customer.objects.filter(pk__in=[t.pk for t in targets]).update(calculate_totals=True)
    return job_dispatch_fanout(
        kind="partner_recalculation",
        customer=customer,
        created_by=user,
        params={
            "customer_id": customer.pk,
            "start_date": months[0].isoformat(),
            "end_date": months[-1].isoformat(),
            "months": len(months),
            "customers": [t.pk for t in targets],
        },
        children=children,
        # The same range asked twice while it runs is one job.
        dedupe_key=f"partner-recalc:{customer.pk}:{months[0]:%Y-%m}:{months[-1]:%Y-%m}",
    )
