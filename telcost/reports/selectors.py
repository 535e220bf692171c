"""Reads of the reports app: a user's subscriptions, and the month a report summarises.

The figures are the usage app's: the month's totals as the trend (and the totals API) give them,
its split by cost center as chargeback computes it. Nothing is recalculated here.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from telcost.reports.models import ReportSubscription
from telcost.usage.billing.chargeback import chargeback_compute
from telcost.usage.selectors import cost_trend

TOP_COST_CENTERS = 5
COST_TYPES = ("voice", "sms", "data", "subscription")


def subscriptions_of(user) -> QuerySet[ReportSubscription]:
    return ReportSubscription.objects.filter(user=user).select_related("customer", "last_job")


@dataclass(frozen=True)
class Place:
    code: str | None  # None: the devices without a cost center
    name: str
    total: Decimal


@dataclass(frozen=True)
class MonthSummary:
    cycle: dt.date
    total: Decimal
    previous_total: Decimal | None  # None: the month before was never calculated
    by_type: dict[str, Decimal]  # voice, sms, data, subscription
    top: list[Place]  # the most expensive cost centers (and unassigned), largest first
    more_places: int  # how many cost centers with costs are not in `top`

    @property
    def change(self) -> Decimal | None:
        return None if self.previous_total is None else self.total - self.previous_total

    @property
    def change_percent(self) -> Decimal | None:
        if not self.previous_total:
            return None
        return (self.total - self.previous_total) * 100 / self.previous_total


def month_summary(*, customer, cycle: dt.date) -> MonthSummary | None:
    """Last month's figures for a report; None when the month was never calculated."""
    chargeback = chargeback_compute(customer=customer, cycle_start=cycle)
    if chargeback is None:
        return None
    previous, current = cost_trend(customer=customer, months=2, today=cycle)
    places = sorted(
        (
            Place(place.code, place.name, place.total_cost)
            for place in chargeback.places
            if place.devices
        ),
        key=lambda place: (-place.total, place.code is None, place.code or ""),
    )
    return MonthSummary(
        cycle=cycle,
        total=Decimal(current["total_cost"]),
        previous_total=(
            None if previous["total_cost"] is None else Decimal(previous["total_cost"])
        ),
        by_type={kind: Decimal(current["by_type"][kind]) for kind in COST_TYPES},
        top=places[:TOP_COST_CENTERS],
        more_places=max(len(places) - TOP_COST_CENTERS, 0),
    )
