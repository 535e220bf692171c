"""CalculateTotalsCommand: the cycle's usage totals and subscription costs, replaced atomically.

One transaction deletes the old rows and inserts the new ones, grouped from the
CDRs in one scan, so a reader sees either the old totals or the new, never a
mix. Costs are summed exactly: numeric on PostgreSQL, e4 integers on SQLite
(see telcost.core.money).
"""

import datetime as dt

from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from telcost.core.cycles import cycle_end_of
from telcost.core.money import e4_of, from_e4, to_e4
from telcost.customers.models import Customer, Device
from telcost.usage.billing.cost import cost_rule
from telcost.usage.billing.rating import rate_plan_of_cycle
from telcost.usage.models import CDR, CycleTotals, SubscriptionTotal, TotalsBackup, UsageTotal
from telcost.usage.sql import dialect, statistics_refresh_on_commit
from telcost.usage.sql.bulk import rows_insert

# From this many rows written to a totals table on, the recalculation refreshes its planner
# statistics when it commits (as an import does for the CDRs). Without them PostgreSQL expects one
# row per customer-month and the usage page's per-device table joins the month's devices in
# nested loops over each other: quadratic, 3 s a statement for 2,000 devices. Fewer rows than
# this cost milliseconds whatever the plan.
ANALYZE_AFTER_TOTALS_ROWS = 1_000


def _next_version(customer_id: int, cycle_start: dt.date) -> int:
    highest = [
        CycleTotals.objects.filter(customer_id=customer_id, cycle_start=cycle_start).aggregate(
            v=Max("version")
        )["v"],
        TotalsBackup.objects.filter(customer_id=customer_id, cycle_start=cycle_start).aggregate(
            v=Max("version")
        )["v"],
    ]
    return max(v or 0 for v in highest) + 1


def _usage_totals_insert(customer: Customer, cycle_start: dt.date) -> int:
    """Insert the cycle's usage per device, type and zone; returns how many CDRs hold a stale cost.

    One scan of the cycle's CDRs. The cost rule says what it sums: for a standard customer
    provider_cost, and the same scan counts the CDRs whose stored cost is not that yet (CDRs
    rated while the customer had a rate plan); only then are they rewritten.
    """
    sql_dialect = dialect()
    cost_sum, stale_count = cost_rule(customer).totals_sum_sql(sql_dialect)
    money = sql_dialect.money_value
    with connection.cursor() as cursor:
        sql_dialect.big_statement(cursor, work_mem="64MB")
        cursor.execute(
            f"""
            SELECT device_id, record_type, zone, COUNT(*), SUM(duration_s), SUM(volume_kb),
                {cost_sum},
                   SUM(CASE WHEN record_type = 'voice' AND duration_s > 0 THEN 1 ELSE 0 END),
                       {stale_count}
            FROM {CDR._meta.db_table}
            WHERE customer_id = %s AND cycle_start = %s
            GROUP BY device_id, record_type, zone
            """,
            [customer.pk, cycle_start],
        )
        groups = cursor.fetchall()
    rows_insert(
        UsageTotal,
        (
            "customer_id",
            "cycle_start",
            "device_id",
            "record_type",
            "zone",
            "count",
            "duration_s",
            "volume_kb",
            "cost",
            "answered_count",
        ),
        [
            (
                customer.pk,
                cycle_start,
                device_id,
                record_type,
                zone,
                count,
                duration_s,
                volume_kb,
                money(cost_total),
                answered,
            )
            for (
                device_id,
                record_type,
                zone,
                count,
                duration_s,
                volume_kb,
                cost_total,
                answered,
                _,
            ) in groups
        ],
    )
    statistics_refresh_on_commit(
        UsageTotal._meta.db_table, written=len(groups), threshold=ANALYZE_AFTER_TOTALS_ROWS
    )
    return sum(int(group[-1]) for group in groups)


def month_lock_key(*, customer_id: int, cycle_start: dt.date) -> str:
    """The lock key of the jobs that work on a customer-month's CDRs and totals: they take turns."""
    return f"totals:{customer_id}:{cycle_start:%Y-%m}"


def fee_devices(*, customer_id: int, cycle_start: dt.date) -> QuerySet[Device]:
    """The devices that pay the monthly fee of the cycle: those active in it, i.e. activated on or
    before its last day and not deactivated before its first (SPEC "Rating"). The one rule of the
    totals' subscriptions, the insights' idle devices and the rate-plan simulation."""
    return Device.objects.filter(
        customer_id=customer_id, activated_on__lte=cycle_end_of(cycle_start)
    ).filter(Q(deactivated_on__isnull=True) | Q(deactivated_on__gte=cycle_start))


def _insert_subscriptions(customer: Customer, cycle_start: dt.date) -> None:
    if not cost_rule(customer).rates or customer.rate_plan_id is None:
        return
    # The fee of the version valid for the cycle, the same version that rated its CDRs.
    fee_e4 = to_e4(rate_plan_of_cycle(customer, cycle_start).monthly_fee)
    paying, paying_params = (
        fee_devices(customer_id=customer.pk, cycle_start=cycle_start)
        .values("id")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SubscriptionTotal._meta.db_table} (customer_id, cycle_start, device_id,
                cost)
            SELECT %s, %s, paying.id, {dialect().money_from_e4("%s")}
            FROM ({paying}) paying
            """,
            [customer.pk, cycle_start, fee_e4, *paying_params],
        )
        written = cursor.rowcount
    statistics_refresh_on_commit(
        SubscriptionTotal._meta.db_table, written=written, threshold=ANALYZE_AFTER_TOTALS_ROWS
    )


def device_totals_e4(*, customer_id: int, cycle_start: dt.date) -> dict[int, int]:
    """Per device in the cycle's calculated totals: its usage plus subscription cost, in e4."""
    costs: dict[int, int] = {}
    with connection.cursor() as cursor:
        for table in (UsageTotal._meta.db_table, SubscriptionTotal._meta.db_table):
            cursor.execute(
                f"SELECT device_id, SUM({e4_of('cost')}) FROM {table} WHERE customer_id = %s AND "
                f"cycle_start = %s GROUP BY device_id",
                [customer_id, cycle_start],
            )
            for device_id, e4 in cursor.fetchall():
                costs[device_id] = costs.get(device_id, 0) + int(e4)
    return costs


def _sum_e4(table: str, customer_id: int, cycle_start: dt.date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM({e4_of('cost')}), 0) FROM {table} WHERE customer_id = %s AND "
            f"cycle_start = %s",
            [customer_id, cycle_start],
        )
        return int(cursor.fetchone()[0])


def totals_exist(*, customer: Customer, cycle_start: dt.date) -> bool:
    """Whether the month was calculated: what reads of a calculated month answer 404 before."""
    return CycleTotals.objects.filter(customer=customer, cycle_start=cycle_start).exists()


def totals_header(*, customer: Customer, cycle_start: dt.date) -> CycleTotals | None:
    """The month's calculated totals (version, total_cost, …), or None before it was calculated."""
    return CycleTotals.objects.filter(customer=customer, cycle_start=cycle_start).first()


def totals_calculate(
    *, customer: Customer, cycle_start: dt.date, run_key: str | None = None
) -> dict:
    """Replace the cycle's totals; returns {"version", "total_cost", "subscription_cost"}."""
    with transaction.atomic():
        existing = (
            CycleTotals.objects.select_for_update()
            .filter(customer=customer, cycle_start=cycle_start)
            .first()
        )
        if run_key and existing is not None and existing.run_key == run_key:
            version = existing.version  # the same run again (a retried step): same version
        else:
            version = _next_version(customer.pk, cycle_start)
        UsageTotal.objects.filter(customer=customer, cycle_start=cycle_start).delete()
        SubscriptionTotal.objects.filter(customer=customer, cycle_start=cycle_start).delete()
        if _usage_totals_insert(customer, cycle_start):
            cost_rule(customer).reprice(customer, cycle_start)
        _insert_subscriptions(customer, cycle_start)
        usage_e4 = _sum_e4(UsageTotal._meta.db_table, customer.pk, cycle_start)
        subscription_e4 = _sum_e4(SubscriptionTotal._meta.db_table, customer.pk, cycle_start)
        header = {
            "version": version,
            "run_key": run_key or "",
            "calculated_at": timezone.now(),
            "total_cost": from_e4(usage_e4 + subscription_e4),
            "subscription_cost": from_e4(subscription_e4),
        }
        CycleTotals.objects.update_or_create(
            customer=customer, cycle_start=cycle_start, defaults=header
        )
    return {
        "version": version,
        "total_cost": str(header["total_cost"]),
        "subscription_cost": str(header["subscription_cost"]),
    }
