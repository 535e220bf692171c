"""The values alert rules watch, per month and target, and EvaluateAlertsCommand's evaluation.

Metrics of a month (SPEC part 2 "Alerts"), all of the month's latest recalculation:
- total_cost: as in totals. The customer: the month's total (CycleTotals); a device: its CDRs'
  cost plus its monthly fee (UsageTotal + SubscriptionTotal); a cost center: exactly its
  chargeback total (chargeback.py's attribution, not a second rule).
- roaming_cost: the cost of the eu and international CDRs.
- data_mb: Σ volume_kb / 1024 of the data CDRs (1 MB = 1024 KB, as rating counts a bundle).
- out_of_bundle_cost: the cost of the CDRs in the bundle zones of the plan version that rated the
  month (rate_plan_of_cycle). What the bundle covered costs nothing, so what CDRs in its zones
  cost is exactly what it did not cover (plus any setup fees of calls, which no bundle covers).
  A standard customer has no bundle: 0.

Set-based: the customer and its devices from the totals tables (a few rows per device, written
by this month's CalculateTotalsCommand just before); cost centers from one scan of the month's
CDRs (chargeback_shares), only when a cost-center rule asks. Money is added in whole 1/10,000 €
(exact on both databases) or as the Decimals chargeback gives.
"""

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from telcost.alerts.models import AlertRule, Metric, Scope
from telcost.alerts.services import Firing, alerts_fire
from telcost.core.money import e4_of, from_e4
from telcost.customers.models import Customer, Device
from telcost.usage.billing.chargeback import chargeback_shares
from telcost.usage.billing.cost import cost_rule
from telcost.usage.billing.rating import rate_plan_of_cycle
from telcost.usage.models import CycleTotals, SubscriptionTotal, UsageTotal

ROAMING_ZONES = frozenset({"eu", "international"})
KB_PER_MB = 1024
E4 = Decimal("0.0001")
ZERO = Decimal("0.0000")

# {target: {metric: value}}; the customer's target is "".
Values = dict[str, dict[str, Decimal]]


def _bundle_zones(customer: Customer, cycle_start: dt.date) -> frozenset[str]:
    if not cost_rule(customer).rates or customer.rate_plan_id is None:
        return frozenset()
    return frozenset(rate_plan_of_cycle(customer, cycle_start).bundle.zones)


def _mb(volume_kb: int) -> Decimal:
    return (Decimal(volume_kb) / KB_PER_MB).quantize(E4, rounding=ROUND_HALF_UP)


def _zone_list(zones: frozenset[str]) -> str:
    # Zones are the three names the CDR format allows (validated there), never user text.
    return ", ".join(f"'{zone}'" for zone in sorted(zones)) or "NULL"


def _device_sums(customer: Customer, cycle_start: dt.date, bundle: frozenset[str]) -> dict:
    """{device id: [total e4, roaming e4, data KB, out-of-bundle e4]} of the devices with usage or
    a fee in the month."""
    cost = e4_of("cost")
    usage, fees = UsageTotal._meta.db_table, SubscriptionTotal._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT device_id, SUM({cost}),
                SUM(CASE WHEN zone IN ({_zone_list(ROAMING_ZONES)}) THEN {cost} ELSE 0 END),
                SUM(CASE WHEN record_type = 'data' THEN volume_kb ELSE 0 END),
                SUM(CASE WHEN zone IN ({_zone_list(bundle)}) THEN {cost} ELSE 0 END)
            FROM {usage}
            WHERE customer_id = %s AND cycle_start = %s
            GROUP BY device_id
            """,
            [customer.pk, cycle_start],
        )
        found = {row[0]: [int(v or 0) for v in row[1:]] for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT device_id, SUM({cost}) FROM {fees} WHERE customer_id = %s AND "
            "cycle_start = %s GROUP BY device_id",
            [customer.pk, cycle_start],
        )
        for device_id, fee in cursor.fetchall():
            found.setdefault(device_id, [0, 0, 0, 0])[0] += int(fee or 0)
    return found


def _values(total_e4: int, roaming_e4: int, volume_kb: int, out_of_bundle_e4: int) -> dict:
    return {
        Metric.TOTAL_COST: from_e4(total_e4),
        Metric.ROAMING_COST: from_e4(roaming_e4),
        Metric.DATA_MB: _mb(volume_kb),
        Metric.OUT_OF_BUNDLE_COST: from_e4(out_of_bundle_e4),
    }


def _by_device(sums: dict) -> Values:
    """Per msisdn with usage or a fee in the month, each metric."""
    msisdns = dict(Device.objects.filter(pk__in=list(sums)).values_list("pk", "msisdn"))
    return {
        msisdns[device_id]: _values(*figures)
        for device_id, figures in sums.items()
        if device_id in msisdns
    }


def _of_customer(customer: Customer, cycle_start: dt.date, sums: dict) -> Values:
    """The customer's values: the month's total as totals stored it, the rest its devices' sum."""
    values = _values(*([sum(column) for column in zip(*sums.values(), strict=True)] or [0] * 4))
    header = CycleTotals.objects.filter(customer=customer, cycle_start=cycle_start).first()
    values[Metric.TOTAL_COST] = header.total_cost if header is not None else ZERO
    return {"": values}


def _by_cost_center(customer: Customer, cycle_start: dt.date, bundle: frozenset[str]) -> Values:
    """Per cost center code: its share of the month as the chargeback splits it."""
    values: Values = defaultdict(lambda: dict.fromkeys(Metric, ZERO))
    volume: dict[str, int] = defaultdict(int)
    usage, fees = chargeback_shares(customer=customer, cycle_start=cycle_start)
    for share in usage:
        if share.code is None:  # unassigned is no cost center a rule can name
            continue
        place = values[share.code]
        place[Metric.TOTAL_COST] += share.cost
        if share.zone in ROAMING_ZONES:
            place[Metric.ROAMING_COST] += share.cost
        if share.zone in bundle:
            place[Metric.OUT_OF_BUNDLE_COST] += share.cost
        if share.record_type == "data":
            volume[share.code] += share.volume_kb
    for share in fees:
        if share.code is not None:
            values[share.code][Metric.TOTAL_COST] += share.fee
    for code, volume_kb in volume.items():
        values[code][Metric.DATA_MB] = _mb(volume_kb)
    return dict(values)


def alert_values(
    *, customer: Customer, cycle_start: dt.date, scopes: set[str]
) -> dict[str, Values]:
    """{scope: {target: {metric: value}}} of the month for the scopes asked for. A target without
    usage or fee in the month is absent (its values are 0)."""
    bundle = _bundle_zones(customer, cycle_start)
    answer: dict[str, Values] = {}
    if scopes & {Scope.CUSTOMER, Scope.DEVICE}:
        sums = _device_sums(customer, cycle_start, bundle)
        answer[Scope.DEVICE] = _by_device(sums)
        answer[Scope.CUSTOMER] = _of_customer(customer, cycle_start, sums)
    if Scope.COST_CENTER in scopes:
        answer[Scope.COST_CENTER] = _by_cost_center(customer, cycle_start, bundle)
    return answer


def _targets(rule: AlertRule, values: Values) -> list[str]:
    if rule.scope == Scope.CUSTOMER:
        return [""]
    return [rule.target] if rule.target else sorted(values)


def alerts_evaluate(*, customer: Customer, cycle_start: dt.date) -> dict:
    """EvaluateAlertsCommand: every active rule of the customer against the month; each one over
    its threshold fires (once per rule, month and target: alerts_fire)."""
    rules = list(AlertRule.objects.live().filter(customer=customer, active=True).order_by("pk"))
    if not rules:
        return {"alerts_fired": 0}
    values = alert_values(
        customer=customer, cycle_start=cycle_start, scopes={rule.scope for rule in rules}
    )
    firings = []
    for rule in rules:
        by_target = values[rule.scope]
        for target in _targets(rule, by_target):
            value = by_target.get(target, {}).get(rule.metric, ZERO)
            if value > rule.threshold:
                firings.append(Firing(rule=rule, target=target, value=value))
    fired = alerts_fire(customer=customer, cycle_start=cycle_start, firings=firings)
    # Merged into the job's result (as every step's): the new alerts of this run.
    return {"alerts_fired": fired}
