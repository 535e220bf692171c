"""Provider reconciliation (SPEC part 2 "Cost control"): what the provider charged against the
contract.

For a rate-plan customer each CDR carries the provider's price (provider_cost) and the contract's
(cost, rated by the month's latest recalculation). Sums are of the 4-place CDR values, exactly
(the dialect's exact_money). A CDR not rated yet (imported since the last recalculation) has no
contract price to hold against the provider's: it is left out and counted as `unrated_records`
until the month is recalculated. Monthly fees are no part of it: the provider's CDRs carry none.
"""

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from telcost.customers.models import Customer, Device
from telcost.usage.billing.cost import cost_rule
from telcost.usage.billing.totals import totals_exist
from telcost.usage.models import CDR
from telcost.usage.sql import dialect

ZERO = Decimal("0.0000")


def reconciles(customer: Customer) -> bool:
    """Only a customer whose costs are rated has a contract price to hold against the provider's."""
    return cost_rule(customer).rates


def _overcharged(alias: str) -> str:
    """SQL: the CDR (rated) cost the customer less by its contract than the provider charged."""
    exact = dialect().exact_money
    return (
        f"({alias}.cost IS NOT NULL AND "
        f"{exact(f'{alias}.provider_cost')} > {exact(f'{alias}.cost')})"
    )


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(ZERO))


def reconciliation_get(*, customer: Customer, cycle_start: dt.date) -> dict | None:
    """SPEC's answer, or None before the month was calculated."""
    if not totals_exist(customer=customer, cycle_start=cycle_start):
        return None
    sql_dialect = dialect()
    exact, value = sql_dialect.exact_money, sql_dialect.money_value
    rated = "c.cost IS NOT NULL"
    overcharged = _overcharged("c")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT d.msisdn,
                SUM(CASE WHEN {rated} THEN {exact("c.provider_cost")} ELSE 0 END),
                SUM(CASE WHEN {rated} THEN {exact("c.cost")} ELSE 0 END),
                SUM(CASE WHEN {overcharged}
                    THEN {exact("c.provider_cost")} - {exact("c.cost")} ELSE 0 END),
                SUM(CASE WHEN {overcharged} THEN 1 ELSE 0 END),
                SUM(CASE WHEN {rated} THEN 0 ELSE 1 END)
            FROM {CDR._meta.db_table} c
            JOIN {Device._meta.db_table} d ON d.id = c.device_id
            WHERE c.customer_id = %s AND c.cycle_start = %s
            GROUP BY d.msisdn
            """,
            [customer.pk, cycle_start],
        )
        found = cursor.fetchall()
    devices = []
    totals = {"provider": ZERO, "rated": ZERO, "over": ZERO, "records": 0, "unrated": 0}
    for msisdn, provider, rated_cost, over, records, unrated in found:
        provider, rated_cost, over = value(provider), value(rated_cost), value(over)
        totals["provider"] += provider
        totals["rated"] += rated_cost
        totals["over"] += over
        totals["records"] += int(records)
        totals["unrated"] += int(unrated)
        devices.append(
            {
                "msisdn": msisdn,
                "provider_cost": provider,
                "rated_cost": rated_cost,
                "difference": provider - rated_cost,
                "overcharged_records": int(records),
            }
        )
    # Largest difference first; a tie in device number order, so pages of it are stable.
    devices.sort(key=lambda device: device["msisdn"])
    devices.sort(key=lambda device: device["difference"], reverse=True)
    for device in devices:
        for key in ("provider_cost", "rated_cost", "difference"):
            device[key] = _money(device[key])
    return {
        "cycle_start": cycle_start.isoformat(),
        "provider_total": _money(totals["provider"]),
        "rated_total": _money(totals["rated"]),
        "difference": _money(totals["provider"] - totals["rated"]),
        "overcharged_total": _money(totals["over"]),
        "overcharged_records": totals["records"],
        "unrated_records": totals["unrated"],
        "devices": devices,
    }


def overcharged_cdrs(customer: Customer, cycle_start: dt.date) -> Iterator[tuple]:
    """Every CDR of the month the provider charged more than the contract, in time order: (local
    time, msisdn, record type, zone, destination, duration_s, volume_kb, provider cost, contract
    cost, difference); the local time naive, to the second (as the CDR export shows it)."""
    table = CDR._meta.db_table
    rows = (
        CDR.objects.filter(customer=customer, cycle_start=cycle_start)
        .filter(RawSQL(_overcharged(table), [], output_field=BooleanField()))
        .order_by("started_at", "id")
        .values_list(
            "started_at",
            "device__msisdn",
            "record_type",
            "zone",
            "destination",
            "duration_s",
            "volume_kb",
            "provider_cost",
            "cost",
        )
    )
    for started_at, *middle, provider_cost, cost in rows.iterator(chunk_size=5000):
        local = timezone.localtime(started_at).replace(tzinfo=None, microsecond=0)
        yield (local, *middle, provider_cost, cost, provider_cost - cost)
