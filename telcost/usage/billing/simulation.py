"""Rate-plan simulation (SPEC part 2 "Cost control"): what a calculated month would have cost the
customer on other rate plans.

One job (kind `plan_simulation`, one step SimulateRatePlansCommand) prices the month's CDRs by
every chosen plan with rating's own pricing (rating.pricing_sql: the chain whose UPDATE stores the
customer's costs), in one statement that sums per device and writes nothing: no CDR cost, no
totals. Each plan is its version valid at the cycle's start (rating.plan_version_of_cycle); the
bundle's data allowance gets the customer's data boosts of the cycle (data_boost_mb_for_cycle);
the plan's monthly fee is charged for every device the totals charge it for (totals.fee_devices).
So simulating the customer's own plan gives exactly the calculated totals.

Decisions the SPEC leaves open:
- The month must have been calculated, since current_total is its calculated total: before, the
  request is refused with 409 (nothing dispatched); a job that finds no totals fails.
- rate_plans omitted: every plan with a version valid at the cycle's start; more than MAX_PLANS of
  them is a 400 asking to choose. Named plans must exist (400 naming the unknown codes); a code
  named twice counts once.
- A plan that cannot price the month (no version valid at the cycle's start, no price for a type
  and zone of the month's CDRs, an invalid document) is reported with its `error` and null
  figures, and is no candidate for the best plan, the month's or a device's. When no plan can
  price the month, best_plan, best_total and savings are null (and each device's best).
- Ties, for the month's best plan as for a device's: the first code in alphabetical order.
- devices: every device with CDRs in the month or paying the fee in it, in msisdn order.
"""

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Self

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from telcost.core.money import from_e4, to_e4
from telcost.customers.models import Customer, Device, RatePlan
from telcost.customers.rate_plans import RatePlanModel
from telcost.jobs.errors import PermanentError
from telcost.jobs.kinds import Dispatched, JobKind, register
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.usage.billing.rating import plan_version_of_cycle, pricing_sql, unpriced_zones
from telcost.usage.billing.totals import (
    device_totals_e4,
    fee_devices,
    month_lock_key,
    totals_header,
)
from telcost.usage.sql import dialect

MAX_PLANS = 10
STEP = "SimulateRatePlansCommand"


class SimulationRefused(ValueError):
    """A request that cannot be simulated; the message is fit for the answer, `status` its code."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PlanSimulationParams:
    """What a plan_simulation job prices: one customer-month by each of the plans (codes)."""

    customer_id: int
    cycle_start: dt.date
    rate_plans: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            customer_id=int(data["customer_id"]),
            cycle_start=dt.date.fromisoformat(data["cycle_start"]),
            rate_plans=tuple(data.get("rate_plans", ())),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "cycle_start": self.cycle_start.isoformat(),
            "rate_plans": list(self.rate_plans),
        }


PLAN_SIMULATION_KIND = register(
    JobKind(
        name="plan_simulation",
        label=_("Rate-plan simulation"),
        params=PlanSimulationParams,
        month=lambda params: f"{params.cycle_start:%Y-%m}",
    )
)


def plans_with_version(cycle_start: dt.date) -> list[str]:
    """The codes of every plan with a version valid at the cycle's start, in code order: what
    "every plan" means for a month."""
    return list(
        RatePlan.objects.filter(versions__valid_from__lte=cycle_start)
        .distinct()
        .order_by("code")
        .values_list("code", flat=True)
    )


def simulation_plan_codes(codes: Sequence[str] | None, cycle_start: dt.date) -> list[str]:
    """The plans a request asks for, checked, in code order; SimulationRefused (400) otherwise."""
    if codes is None:
        chosen = plans_with_version(cycle_start)
        if not chosen:
            raise SimulationRefused(f"no rate plan has a version for {cycle_start:%Y-%m}")
        if len(chosen) > MAX_PLANS:
            raise SimulationRefused(
                f"there are {len(chosen)} rate plans: choose at most {MAX_PLANS} in rate_plans"
            )
        return chosen
    chosen = sorted(set(codes))
    if not chosen:
        raise SimulationRefused("rate_plans: choose at least one plan, or leave it out for all")
    if len(chosen) > MAX_PLANS:
        raise SimulationRefused(f"rate_plans: choose at most {MAX_PLANS} plans, got {len(chosen)}")
    known = set(RatePlan.objects.filter(code__in=chosen).values_list("code", flat=True))
    unknown = [code for code in chosen if code not in known]
    if unknown:
        raise SimulationRefused(f"rate_plans: no such rate plan: {', '.join(unknown)}")
    return chosen


def _dedupe_key(customer_id: int, cycle_start: dt.date, codes: Sequence[str]) -> str:
    # Codes are up to 64 characters each: their digest keeps the key within its column.
    digest = hashlib.sha256("\n".join(codes).encode()).hexdigest()[:32]
    return f"simulation:{customer_id}:{cycle_start:%Y-%m}:{digest}"


@transaction.atomic
def plan_simulation_dispatch(
    *, customer: Customer, cycle_start: dt.date, rate_plans: Sequence[str] | None, user=None
) -> Dispatched:
    """Check the request and dispatch its job (or join the same one still pending or running).

    SimulationRefused when the plans are not a choice of 1 to MAX_PLANS known plans (400) or the
    month was never calculated (409): then nothing is dispatched. The job takes turns with the
    month's recalculations (their lock key), so it reads a month that is not being recalculated.
    """
    codes = simulation_plan_codes(rate_plans, cycle_start)
    if totals_header(customer=customer, cycle_start=cycle_start) is None:
        raise SimulationRefused(
            f"{cycle_start:%Y-%m} has not been calculated yet: recalculate it first", status=409
        )
    return job_dispatch(
        kind=PLAN_SIMULATION_KIND,
        customer=customer,
        created_by=user,
        params=PlanSimulationParams(
            customer_id=customer.pk, cycle_start=cycle_start, rate_plans=tuple(codes)
        ),
        steps=[StepSpec(STEP)],
        dedupe_key=_dedupe_key(customer.pk, cycle_start, codes),
        lock_key=month_lock_key(customer_id=customer.pk, cycle_start=cycle_start),
    )


@dataclass
class _Candidate:
    code: str
    plan: RatePlanModel | None = None
    error: str = ""


def _candidates(customer: Customer, cycle_start: dt.date, codes: Sequence[str]) -> list:
    plans = {plan.code: plan for plan in RatePlan.objects.filter(code__in=codes)}
    candidates = []
    for code in codes:
        candidate = _Candidate(code)
        if code not in plans:
            candidate.error = f"rate plan {code} no longer exists"
        else:
            try:
                candidate.plan = plan_version_of_cycle(plans[code], cycle_start)
            except PermanentError as exc:
                candidate.error = str(exc)
            else:
                missing = unpriced_zones(candidate.plan, customer.pk, cycle_start)
                if missing:
                    candidate.plan, candidate.error = None, f"rate plan {code} has no price for "
                    candidate.error += missing
        candidates.append(candidate)
    return candidates


def _summed(sql: str, params: list) -> list[tuple]:
    """Run one pricing SELECT; rating's session settings give it rating's plan."""
    sql_dialect = dialect()
    with sql_dialect.read_scope(), connection.cursor() as cursor:
        sql_dialect.big_statement(cursor)
        sql_dialect.rating_session(cursor)
        cursor.execute(sql, params)
        return cursor.fetchall()


def _summed_in_own_connection(sql: str, params: list) -> list[tuple]:
    try:
        return _summed(sql, params)
    finally:
        connection.close()


def usage_e4_by_device(
    plans: Sequence[RatePlanModel], *, customer_id: int, cycle_start: dt.date, data_boost_mb: int
) -> dict[int, list[int]]:
    """Per device with CDRs in the cycle: what its CDRs cost by each plan, in e4, in plan order.

    Rating's pricing (pricing_sql) summed per device: one read and sort of the month for all the
    plans, nothing written. On PostgreSQL outside a transaction, in as many parts (devices by id
    modulo) in their own connections as rating uses, at once.
    """

    def statement(part: tuple[int, int] | None) -> tuple[str, list]:
        pricing, params = pricing_sql(
            plans,
            customer_id=customer_id,
            cycle_start=cycle_start,
            data_boost_mb=data_boost_mb,
            carry=("device_id",),
            part=part,
        )
        sums = ", ".join(f"SUM(cost_e4_{n})" for n in range(len(plans)))
        return f"{pricing}\n SELECT device_id, {sums} FROM priced GROUP BY device_id", params

    parts = dialect().rating_parts()
    if parts == 1:
        rows = _summed(*statement(None))
    else:
        with ThreadPoolExecutor(max_workers=parts - 1, thread_name_prefix="simulation") as pool:
            others = [
                pool.submit(_summed_in_own_connection, *statement((k, parts)))
                for k in range(1, parts)
            ]
            rows = _summed(*statement((0, parts)))
            for other in others:
                rows += other.result()
    return {row[0]: [int(e4) for e4 in row[1:]] for row in rows}


def _money(e4: int | None) -> str | None:
    return None if e4 is None else str(from_e4(e4))


def _cheapest(costs: Mapping[str, int]) -> tuple[str | None, int | None]:
    """(code, cost) of the cheapest; a tie goes to the first code in alphabetical order."""
    if not costs:
        return None, None
    code = min(costs, key=lambda c: (costs[c], c))
    return code, costs[code]


def plan_simulation_run(*, customer: Customer, cycle_start: dt.date, codes: Sequence[str]) -> dict:
    """The SPEC's result of simulating the month by each plan (see the module's decisions)."""
    from telcost.addons.selectors import data_boost_mb_for_cycle

    header = totals_header(customer=customer, cycle_start=cycle_start)
    if header is None:
        raise PermanentError(f"{cycle_start:%Y-%m} has not been calculated yet")
    codes = sorted(set(codes))
    candidates = _candidates(customer, cycle_start, codes)
    priceable = [c for c in candidates if c.plan is not None]
    boost_mb = data_boost_mb_for_cycle(customer_id=customer.pk, cycle_start=cycle_start)
    usage = (
        usage_e4_by_device(
            [c.plan for c in priceable],
            customer_id=customer.pk,
            cycle_start=cycle_start,
            data_boost_mb=boost_mb,
        )
        if priceable
        else {}
    )
    paying = set(
        fee_devices(customer_id=customer.pk, cycle_start=cycle_start).values_list("id", flat=True)
    )
    current = device_totals_e4(customer_id=customer.pk, cycle_start=cycle_start)
    fees = {c.code: to_e4(c.plan.monthly_fee) for c in priceable}
    plans, totals = [], {}
    for candidate in candidates:
        if candidate.plan is None:
            plans.append(
                {
                    "code": candidate.code,
                    "usage_cost": None,
                    "subscription_cost": None,
                    "total": None,
                    "error": candidate.error,
                }
            )
            continue
        n = priceable.index(candidate)
        usage_e4 = sum(costs[n] for costs in usage.values())
        subscription_e4 = fees[candidate.code] * len(paying)
        totals[candidate.code] = usage_e4 + subscription_e4
        plans.append(
            {
                "code": candidate.code,
                "usage_cost": _money(usage_e4),
                "subscription_cost": _money(subscription_e4),
                "total": _money(usage_e4 + subscription_e4),
                "error": None,
            }
        )
    best_plan, best_e4 = _cheapest(totals)
    current_e4 = to_e4(header.total_cost)
    msisdns = dict(Device.objects.filter(customer=customer).values_list("id", "msisdn"))
    device_ids = sorted(set(usage) | paying | set(current), key=lambda d: msisdns.get(d, ""))
    devices = []
    for device_id in device_ids:
        by_plan = usage.get(device_id, [0] * len(priceable))
        costs = {
            c.code: by_plan[n] + (fees[c.code] if device_id in paying else 0)
            for n, c in enumerate(priceable)
        }
        device_best, device_best_e4 = _cheapest(costs)
        devices.append(
            {
                "msisdn": msisdns.get(device_id, ""),
                "current_cost": _money(current.get(device_id, 0)),
                "best_plan": device_best,
                "best_cost": _money(device_best_e4),
            }
        )
    return {
        "cycle_start": cycle_start.isoformat(),
        "current_plan": customer.rate_plan.code
        if customer.is_rateplan and customer.rate_plan_id
        else None,
        "current_total": _money(current_e4),
        "data_boost_mb": boost_mb,
        "plans": plans,
        "best_plan": best_plan,
        "best_total": _money(best_e4),
        "savings": None if best_e4 is None else _money(current_e4 - best_e4),
        "devices": devices,
    }
