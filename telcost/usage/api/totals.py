"""Workflow 1's endpoints: the seed's recalculate URL, and totals / insights / versions to read."""

import datetime as dt
from typing import Literal

from django.http import Http404
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from telcost.accounts.access import RECALCULATE, customer_for_user, customer_id_of
from telcost.core.api_schemas import CycleDate, Money, Month, Out, answers
from telcost.core.cycles import BadCycle, requested_month
from telcost.idempotency.decorators import idempotent
from telcost.usage.recalculation.services import recalculation_dispatch, valid_version
from telcost.usage.selectors import (
    cost_trend,
    insights_get,
    totals_get,
    totals_versions_diff,
    totals_versions_list,
)

router = Router(tags=["usage"])
# Each operation_id is the one the API published before this module moved into usage/api/ (issue
# 15):
# Ninja names an operation after its module.


class RecalculationAccepted(Out):
    job_id: int
    status_url: str
    joined: bool
    cycle_start: dt.date


class VoiceTotals(Out):
    count: int
    duration_s: int
    cost: Money


class SmsTotals(Out):
    count: int
    cost: Money


class DataTotals(Out):
    count: int
    volume_kb: int
    cost: Money


class TypeTotals(Out):
    voice: VoiceTotals
    sms: SmsTotals
    data: DataTotals


class DeviceTotals(Out):
    msisdn: str
    record_type: Literal["voice", "sms", "data"]
    zone: str
    count: int
    duration_s: int
    volume_kb: int
    cost: Money


class TotalsOut(Out):
    customer_id: int
    cycle_start: dt.date
    version: int
    calculated_at: dt.datetime
    total_cost: Money
    subscription_cost: Money
    by_type: TypeTotals
    devices: list[DeviceTotals]


class InsightsOut(Out):
    """The month's insights (SPEC part 1) with when they were calculated."""

    calculated_at: dt.datetime


class VersionOut(Out):
    version: int
    created_at: dt.datetime
    created_by: str | None
    reason: str
    total_cost: Money
    subscription_cost: Money


class VersionChange(Out):
    msisdn: str
    record_type: str
    count_a: int
    count_b: int
    cost_a: Money
    cost_b: Money
    cost_delta: Money


class VersionsDiffOut(Out):
    version_a: int
    version_b: int
    changes: list[VersionChange]


class TrendByType(Out):
    voice: Money | None
    sms: Money | None
    data: Money | None
    subscription: Money | None


class TrendMonth(Out):
    """A month's cost; every value null when the month was never calculated."""

    month: Month
    total_cost: Money | None
    by_type: TrendByType
    roaming_cost: Money | None


class TrendQuery(Schema):
    months: int = Field(default=12, ge=1, le=36)


def _month(month: str):
    try:
        return requested_month(month, month_only=True)
    except BadCycle as exc:
        raise HttpError(400, str(exc)) from None


@router.post(
    "/usage/recalculate_total_usage/{date}/{customer_id}",
    response=answers({202: RecalculationAccepted}, 403, 404),
    operation_id="telcost_usage_api_recalculate_total_usage",
)
@idempotent
def recalculate_total_usage(request, date: CycleDate, customer_id: str):
    # The seed's message for an unknown customer; ids that are not numbers are unknown too.
    customer = customer_for_user(
        user=request.user,
        customer_id=customer_id_of(customer_id),
        right=RECALCULATE,
        not_found="Invalid customer provided",
    )
    try:
        cycle_start = requested_month(date)
    except BadCycle as exc:
        raise HttpError(400, str(exc)) from None
    dispatched = recalculation_dispatch(
        customer=customer, cycle_start=cycle_start, user=request.user
    )
    return Status(
        202,
        {
            "job_id": dispatched.pk,
            "status_url": f"/api/jobs/{dispatched.pk}",
            "joined": dispatched.joined,
            "cycle_start": cycle_start.isoformat(),
        },
    )


@router.get(
    "/api/customers/{customer_id}/totals",
    response=answers({200: TotalsOut}, 404),
    operation_id="telcost_usage_api_totals",
)
def totals(request, customer_id: int, month: Month):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    answer = totals_get(customer=customer, cycle_start=_month(month))
    if answer is None:
        raise Http404("No totals calculated for this month")
    return answer


@router.get(
    "/api/customers/{customer_id}/insights",
    response=answers({200: InsightsOut}, 404),
    operation_id="telcost_usage_api_insights",
)
def insights(request, customer_id: int, month: Month):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    answer = insights_get(customer=customer, cycle_start=_month(month))
    if answer is None:
        raise Http404("No insights calculated for this month")
    return answer


@router.get(
    "/api/customers/{customer_id}/totals/versions",
    response=answers({200: list[VersionOut]}, 404),
    operation_id="telcost_usage_api_versions",
)
def versions(request, customer_id: int, month: Month):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    return totals_versions_list(customer=customer, cycle_start=_month(month))


@router.get(
    "/api/customers/{customer_id}/totals/diff",
    response=answers({200: VersionsDiffOut}, 404),
    operation_id="telcost_usage_api_versions_diff",
)
def versions_diff(request, customer_id: int, month: Month, a: int, b: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    if not (valid_version(a) and valid_version(b)):
        raise Http404("Unknown version")
    changes = totals_versions_diff(
        customer=customer, cycle_start=_month(month), version_a=a, version_b=b
    )
    if changes is None:
        raise Http404("Unknown version")
    return {"version_a": a, "version_b": b, "changes": changes}


@router.get(
    "/api/customers/{customer_id}/trend",
    response=answers({200: list[TrendMonth]}, 404),
    operation_id="telcost_usage_api_trend",
)
def trend(request, customer_id: int, query: Query[TrendQuery]):
    """SPEC part 2 "Trend": the last `months` (1-36) months up to the current one, oldest first."""
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    return cost_trend(customer=customer, months=query.months)
