"""Cost control (SPEC part 2): provider reconciliation, chargeback per cost center and the
rate-plan simulation."""

import datetime as dt
from typing import Annotated

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from telcost.accounts.access import MASTER_DATA, customer_for_user
from telcost.core.api_schemas import Money, Month, Out, answers
from telcost.core.cycles import BadCycle, requested_month
from telcost.idempotency.decorators import idempotent
from telcost.usage.billing.chargeback import chargeback_get
from telcost.usage.billing.reconciliation import reconciles, reconciliation_get
from telcost.usage.billing.simulation import (
    MAX_PLANS,
    SimulationRefused,
    plan_simulation_dispatch,
)

router = Router(tags=["cost control"])

NOT_CALCULATED = "No totals calculated for this month"
NO_RATE_PLAN = "This customer pays the provider's prices: it has no contract to reconcile against"


class ReconciledDevice(Out):
    msisdn: str
    provider_cost: Money
    rated_cost: Money
    difference: Money
    overcharged_records: int


class ReconciliationOut(Out):
    cycle_start: dt.date
    provider_total: Money
    rated_total: Money
    difference: Money
    overcharged_total: Money
    overcharged_records: int
    # CDRs imported since the month's latest recalculation: no contract price yet, left out.
    unrated_records: int
    devices: list[ReconciledDevice]


class TypeCosts(Out):
    voice: Money
    sms: Money
    data: Money


class UnassignedTotals(Out):
    devices: int
    usage_cost: Money
    subscription_cost: Money
    total_cost: Money
    by_type: TypeCosts


class CostCenterTotals(UnassignedTotals):
    code: str
    name: str


class ChargebackOut(Out):
    cycle_start: dt.date
    total_cost: Money
    cost_centers: list[CostCenterTotals]
    unassigned: UnassignedTotals


def _month(month: str) -> dt.date:
    try:
        return requested_month(month, month_only=True)
    except BadCycle as exc:
        raise HttpError(400, f"month: {exc}") from None


@router.get(
    "/api/customers/{customer_id}/reconciliation",
    response=answers({200: ReconciliationOut}, 404),
    description="A rate-plan customer's month: the provider's prices against the contract's. "
    "404 before the month was calculated, and for a standard customer (no contract prices).",
)
def reconciliation(request, customer_id: int, month: Month):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    cycle_start = _month(month)
    # A standard customer's cost is the provider's: there is no reconciliation of it to find.
    if not reconciles(customer):
        raise Http404(NO_RATE_PLAN)
    answer = reconciliation_get(customer=customer, cycle_start=cycle_start)
    if answer is None:
        raise Http404(NOT_CALCULATED)
    return answer


@router.get(
    "/api/customers/{customer_id}/cost-centers/totals",
    response=answers({200: ChargebackOut}, 404),
    description="The month's total split by cost center; 404 before the month was calculated.",
)
def cost_center_totals(request, customer_id: int, month: Month):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    answer = chargeback_get(customer=customer, cycle_start=_month(month))
    if answer is None:
        raise Http404(NOT_CALCULATED)
    return answer


class PlanSimulationIn(Schema):
    # Checked by the service for a clear answer ("2027-03 is in the future"), not by a pattern.
    month: str = Field(max_length=40, description="YYYY-MM, from 2000-01 to the current month")
    rate_plans: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None,
        max_length=1000,
        description=f"1 to {MAX_PLANS} rate plan codes; left out: every plan with a version for "
        f"the month (a 400 asking to choose when there are more than {MAX_PLANS})",
    )


class PlanSimulationAccepted(Out):
    job_id: int
    status_url: str
    # A request the same as one still pending or running joins that job.
    joined: bool


@router.post(
    "/api/customers/{customer_id}/plan-simulations",
    response=answers({202: PlanSimulationAccepted}, 403, 404, 409),
    description="What the month would have cost on each rate plan (managers and staff). The "
    "job's result (GET /api/jobs/{id}) is SPEC's simulation; it writes no totals or costs. "
    "409 before the month was calculated.",
)
@idempotent
def plan_simulation_start(request, customer_id: int, payload: PlanSimulationIn):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MASTER_DATA)
    cycle_start = _month(payload.month)
    try:
        dispatched = plan_simulation_dispatch(
            customer=customer,
            cycle_start=cycle_start,
            rate_plans=payload.rate_plans,
            user=request.user,
        )
    except SimulationRefused as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(
        202,
        {
            "job_id": dispatched.pk,
            "status_url": f"/api/jobs/{dispatched.pk}",
            "joined": dispatched.joined,
        },
    )
