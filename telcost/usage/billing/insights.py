"""BillingInsightTotalsCommand: what a person wants to know about a cycle's bill.

Computed from the totals tables (a few rows per device, never the CDRs) with SQL aggregates;
stored as one JSON document per customer-month, replacing the previous one.
"""

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from telcost.core.cycles import previous_cycle
from telcost.core.money import e4_of, from_e4, to_e4
from telcost.customers.models import Customer, Device
from telcost.jobs.errors import PermanentError
from telcost.usage.billing.cost import cost_rule
from telcost.usage.billing.rating import rate_plan_of_cycle
from telcost.usage.billing.totals import device_totals_e4, fee_devices
from telcost.usage.models import BillingInsight, CycleTotals, UsageTotal

ANOMALY_FLOOR = Decimal("10.00")
TOP_DEVICES = 10


def _money(e4: int) -> str:
    return str(from_e4(e4))


def _cost_by_type_e4(customer_id: int, cycle_start: dt.date) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT record_type, SUM({e4_of('cost')}) FROM {UsageTotal._meta.db_table} "
            "WHERE customer_id = %s AND cycle_start = %s GROUP BY record_type",
            [customer_id, cycle_start],
        )
        found = {rt: int(e4) for rt, e4 in cursor.fetchall()}
    return {rt: found.get(rt, 0) for rt in ("voice", "sms", "data")}


def _roaming_e4(customer_id: int, cycle_start: dt.date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM({e4_of('cost')}), 0) FROM {UsageTotal._meta.db_table} "
            "WHERE customer_id = %s AND cycle_start = %s AND zone IN ('eu', 'international')",
            [customer_id, cycle_start],
        )
        return int(cursor.fetchone()[0])


def _out_of_bundle_e4(customer: Customer, cycle_start: dt.date) -> dict[int, int]:
    """Per device, what its usage cost beyond the setup fees: the part the bundle did not cover."""
    if not cost_rule(customer).rates or customer.rate_plan_id is None:
        return {}
    setup_e4 = to_e4(rate_plan_of_cycle(customer, cycle_start).voice.setup_fee)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT device_id, SUM({e4_of("cost")}) - %s * SUM(answered_count)
            FROM {UsageTotal._meta.db_table}
            WHERE customer_id = %s AND cycle_start = %s
            GROUP BY device_id
            """,
            [setup_e4, customer.pk, cycle_start],
        )
        return {device_id: int(e4) for device_id, e4 in cursor.fetchall() if int(e4) > 0}


def _previous_cycles_with_totals(
    customer_id: int, cycle_start: dt.date, count: int = 3
) -> list[dt.date]:
    wanted, current = [], cycle_start
    for _ in range(count):
        current = previous_cycle(current)
        wanted.append(current)
    return list(
        CycleTotals.objects.filter(customer_id=customer_id, cycle_start__in=wanted).values_list(
            "cycle_start", flat=True
        )
    )


def insights_calculate(*, customer: Customer, cycle_start: dt.date) -> dict:
    header = CycleTotals.objects.filter(customer=customer, cycle_start=cycle_start).first()
    if header is None:
        raise PermanentError("the totals of this month have not been calculated")
    total_e4 = to_e4(header.total_cost)
    previous = CycleTotals.objects.filter(
        customer=customer, cycle_start=previous_cycle(cycle_start)
    ).first()
    device_costs = device_totals_e4(customer_id=customer.pk, cycle_start=cycle_start)
    active = fee_devices(customer_id=customer.pk, cycle_start=cycle_start)
    used_ids = set(
        UsageTotal.objects.filter(customer=customer, cycle_start=cycle_start).values_list(
            "device_id", flat=True
        )
    )
    idle = list(active.exclude(pk__in=used_ids).order_by("msisdn").values("id", "msisdn", "label"))
    idle_fees_e4 = sum(device_costs.get(d["id"], 0) for d in idle)
    msisdn = dict(Device.objects.filter(customer=customer).values_list("id", "msisdn"))

    history_cycles = _previous_cycles_with_totals(customer.pk, cycle_start)
    history: dict[int, int] = {}
    for past in history_cycles:
        for device_id, e4 in device_totals_e4(customer_id=customer.pk, cycle_start=past).items():
            history[device_id] = history.get(device_id, 0) + e4
    anomalies = []
    if history_cycles:
        for device_id, e4 in device_costs.items():
            average = Decimal(history.get(device_id, 0)) / len(history_cycles)
            if e4 > 2 * average and from_e4(e4) > ANOMALY_FLOOR:
                anomalies.append(
                    {
                        "msisdn": msisdn.get(device_id),
                        "cost": _money(e4),
                        "average_previous": str(from_e4(round(average))),
                    }
                )
    anomalies.sort(key=lambda a: Decimal(a["cost"]), reverse=True)

    change = None
    if previous is not None:
        delta = header.total_cost - previous.total_cost
        change = {
            "previous_total_cost": str(previous.total_cost),
            "absolute": str(delta),
            "percent": str((delta / previous.total_cost * 100).quantize(Decimal("0.01")))
            if previous.total_cost
            else None,
        }
    top = sorted(device_costs.items(), key=lambda item: (-item[1], msisdn.get(item[0], "")))[
        :TOP_DEVICES
    ]
    out_of_bundle = _out_of_bundle_e4(customer, cycle_start)
    data = {
        "customer_id": customer.pk,
        "cycle_start": cycle_start.isoformat(),
        "version": header.version,
        "total_cost": str(header.total_cost),
        "change": change,
        "cost_by_type": {
            rt: _money(e4) for rt, e4 in _cost_by_type_e4(customer.pk, cycle_start).items()
        },
        "subscription_cost": str(header.subscription_cost),
        "top_devices": [{"msisdn": msisdn.get(d), "cost": _money(e4)} for d, e4 in top],
        "idle_devices": {
            "count": len(idle),
            "fees_cost": _money(idle_fees_e4),
            "devices": [{"msisdn": d["msisdn"], "label": d["label"]} for d in idle[:200]],
        },
        "out_of_bundle": {
            "count": len(out_of_bundle),
            "cost": _money(sum(out_of_bundle.values())),
            "devices": [
                {"msisdn": msisdn.get(d), "cost": _money(e4)}
                for d, e4 in sorted(out_of_bundle.items(), key=lambda item: -item[1])[:50]
            ],
        },
        "roaming_cost": _money(_roaming_e4(customer.pk, cycle_start)),
        "anomalies": anomalies,
    }
    with transaction.atomic():
        BillingInsight.objects.update_or_create(
            customer=customer,
            cycle_start=cycle_start,
            defaults={"data": data, "calculated_at": timezone.now()},
        )
    return {
        "insights": True,
        "anomalies": len(anomalies),
        "idle_devices": len(idle),
        "total_e4": total_e4,
    }
