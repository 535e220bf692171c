"""Workflow 6: recalculate the totals of a partner (or one customer) over a range of months.

One parent job, one child per customer-month, each child being workflow 1's
chain. The job engine runs the children in parallel on whatever workers there
are, keeps two of them off one customer-month (lock key), and lets a child join
a recalculation of that customer-month that is already under way (dedupe key).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from telcost.core.cycles import BadCycle, months_between, requested_month
from telcost.customers.models import Customer
from telcost.jobs.kinds import Dispatched, JobKind, register
from telcost.jobs.services import ChildSpec, job_dispatch_fanout
from telcost.usage.recalculation.services import recalculation_keys, recalculation_steps
from telcost.usage.recalculation.status import RECALCULATE_TOTALS_KIND, RecalculationParams

MAX_MONTHS = 36


class BadRange(ValueError):
    """A date range that cannot be recalculated; the message is fit for a 400 answer."""


@dataclass(frozen=True)
class PartnerRecalculationParams:
    """A partner_recalculation job's range: its months and the customers recalculated."""

    customer_id: int
    start_date: dt.date
    end_date: dt.date
    months: int
    customers: tuple[int, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            customer_id=int(data["customer_id"]),
            start_date=dt.date.fromisoformat(data["start_date"]),
            end_date=dt.date.fromisoformat(data["end_date"]),
            months=int(data["months"]),
            customers=tuple(data["customers"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "months": self.months,
            "customers": list(self.customers),
        }


# Its children are recalculate_totals jobs, whose own reaction keeps the customers' status.
PARTNER_RECALCULATION_KIND = register(
    JobKind(
        name="partner_recalculation",
        label=_("Partner recalculation"),
        params=PartnerRecalculationParams,
    )
)


# The same workflow for a customer without customers of its own: not a partner's run, so not
# labelled as one ("Partnerherberekening" for one customer's months misled).
RANGE_RECALCULATION_KIND = register(
    JobKind(
        name="range_recalculation",
        label=_("Recalculation of months"),
        params=PartnerRecalculationParams,
    )
)


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
def partner_recalculation_dispatch(
    *, customer: Customer, start_date: dt.date, end_date: dt.date, user
) -> Dispatched:
    months = partner_recalculation_months(start_date=start_date, end_date=end_date)
    targets = partner_recalculation_targets(customer=customer)
    children = []
    for target in targets:
        for cycle_start in months:
            dedupe_key, lock_key = recalculation_keys(
                customer_id=target.pk, cycle_start=cycle_start
            )
            children.append(
                ChildSpec(
                    kind=RECALCULATE_TOTALS_KIND,
                    customer=target,
                    steps=recalculation_steps(customer=target, cycle_start=cycle_start, user=user),
                    params=RecalculationParams(
                        customer_id=target.pk, cycle_start=cycle_start, reason="partner range"
                    ),
                    dedupe_key=dedupe_key,
                    lock_key=lock_key,
                )
            )
    # The seed's flag: these customers' totals are being recalculated.
    Customer.objects.filter(pk__in=[t.pk for t in targets]).update(calculate_totals=True)
    alone = [t.pk for t in targets] == [customer.pk]  # a customer without customers
    return job_dispatch_fanout(
        kind=RANGE_RECALCULATION_KIND if alone else PARTNER_RECALCULATION_KIND,
        customer=customer,
        created_by=user,
        params=PartnerRecalculationParams(
            customer_id=customer.pk,
            start_date=months[0],
            end_date=months[-1],
            months=len(months),
            customers=tuple(t.pk for t in targets),
        ),
        children=children,
        # The same range asked twice while it runs is one job.
        dedupe_key=f"partner-recalc:{customer.pk}:{months[0]:%Y-%m}:{months[-1]:%Y-%m}",
    )
