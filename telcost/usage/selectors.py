"""Reads of the usage app: totals in SPEC's shape, insights, versions and their differences."""

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Sum

from telcost.core.cycles import cycle_end_of, recent_cycles
from telcost.core.money import e4_of, from_e4
from telcost.customers.models import CostCenter, CostCenterAssignment, Customer, Device
from telcost.usage.models import (
    CDR,
    BillingInsight,
    CycleTotals,
    SubscriptionTotal,
    TotalsBackup,
    TotalsBackupRow,
    UsageTotal,
)
from telcost.usage.sql import dialect

ZERO = Decimal("0.0000")


def _money(value) -> str:
    return str(Decimal(value or 0).quantize(ZERO))


def totals_get(
    *, customer: Customer, cycle_start: dt.date, with_devices: bool = True
) -> dict | None:
    """The month's calculated totals: the header, the sums by usage type and, unless
    `with_devices` is False (a page that shows only the sums), every device's rows.

    The sums are one GROUP BY in exact integer money, so a page of a customer of 20,000 devices
    does not read their 100,000 rows to show three lines.
    """
    header = CycleTotals.objects.filter(customer=customer, cycle_start=cycle_start).first()
    if header is None:
        return None
    by_type = {
        "voice": {"count": 0, "duration_s": 0, "cost": ZERO},
        "sms": {"count": 0, "cost": ZERO},
        "data": {"count": 0, "volume_kb": 0, "cost": ZERO},
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT record_type, SUM(count), SUM(duration_s), SUM(volume_kb), SUM({e4_of("cost")})
            FROM {UsageTotal._meta.db_table} WHERE customer_id = %s AND cycle_start = %s
            GROUP BY record_type
            """,
            [customer.pk, cycle_start],
        )
        for record_type, count, duration_s, volume_kb, cost_e4 in cursor.fetchall():
            entry = by_type[record_type]
            entry["count"] = int(count)
            entry["cost"] = from_e4(cost_e4)
            if record_type == "voice":
                entry["duration_s"] = int(duration_s)
            elif record_type == "data":
                entry["volume_kb"] = int(volume_kb)
    for entry in by_type.values():
        entry["cost"] = _money(entry["cost"])
    answer = {
        "customer_id": customer.pk,
        "cycle_start": cycle_start.isoformat(),
        "version": header.version,
        "calculated_at": header.calculated_at.isoformat(),
        "total_cost": _money(header.total_cost),
        "subscription_cost": _money(header.subscription_cost),
        "by_type": by_type,
    }
    if with_devices:
        # Plain tuples, not model instances: a customer of 2,000 devices has 18,000 rows here.
        rows = (
            UsageTotal.objects.filter(customer=customer, cycle_start=cycle_start)
            .order_by("device__msisdn", "record_type", "zone")
            .values_list(
                "device__msisdn", "record_type", "zone", "count", "duration_s", "volume_kb", "cost"
            )
        )
        answer["devices"] = [
            {
                "msisdn": msisdn,
                "record_type": record_type,
                "zone": zone,
                "count": count,
                "duration_s": duration_s,
                "volume_kb": volume_kb,
                "cost": _money(cost),
            }
            for msisdn, record_type, zone, count, duration_s, volume_kb, cost in rows
        ]
    return answer


def subscription_totals_get(*, customer: Customer, cycle_start: dt.date) -> list[tuple]:
    """(msisdn, monthly fee) of each device with a fee in the cycle, by msisdn."""
    return list(
        SubscriptionTotal.objects.filter(customer=customer, cycle_start=cycle_start)
        .order_by("device__msisdn", "pk")
        .values_list("device__msisdn", "cost")
    )


def insights_get(*, customer: Customer, cycle_start: dt.date) -> dict | None:
    insight = BillingInsight.objects.filter(customer=customer, cycle_start=cycle_start).first()
    if insight is None:
        return None
    return {**insight.data, "calculated_at": insight.calculated_at.isoformat()}


def totals_versions_list(*, customer: Customer, cycle_start: dt.date) -> list[dict]:
    return [
        {
            "version": b.version,
            "created_at": b.created_at.isoformat(),
            "created_by": b.created_by.username if b.created_by_id else None,
            "reason": b.reason,
            "total_cost": _money(b.total_cost),
            "subscription_cost": _money(b.subscription_cost),
        }
        for b in TotalsBackup.objects.filter(customer=customer, cycle_start=cycle_start)
        .select_related("created_by")
        .order_by("-version")
    ]


def _backup_rows(backup: TotalsBackup) -> dict[tuple[str, str], dict]:
    """Per (msisdn, record type): count and cost, zones summed."""
    rows = (
        TotalsBackupRow.objects.filter(backup=backup)
        .values("msisdn", "record_type")
        .annotate(count=Sum("count"), cost=Sum("cost"))
    )
    return {
        (r["msisdn"], r["record_type"]): {
            "count": r["count"],
            "cost": Decimal(r["cost"]).quantize(ZERO),
        }
        for r in rows
    }


def totals_versions_diff(
    *, customer: Customer, cycle_start: dt.date, version_a: int, version_b: int
) -> list[dict] | None:
    """What changed from version a to b, per device and record type; None if a version is
    unknown."""
    backups = {
        b.version: b
        for b in TotalsBackup.objects.filter(
            customer=customer, cycle_start=cycle_start, version__in=[version_a, version_b]
        )
    }
    if version_a not in backups or version_b not in backups:
        return None
    a, b = _backup_rows(backups[version_a]), _backup_rows(backups[version_b])
    empty = {"count": 0, "cost": ZERO}
    changes = []
    for key in sorted(set(a) | set(b)):
        before, after = a.get(key, empty), b.get(key, empty)
        if before == after:
            continue
        changes.append(
            {
                "msisdn": key[0],
                "record_type": key[1],
                "count_a": before["count"],
                "count_b": after["count"],
                "cost_a": _money(before["cost"]),
                "cost_b": _money(after["cost"]),
                "cost_delta": _money(after["cost"] - before["cost"]),
            }
        )
    return changes


def cycles_with_data(*, customer: Customer) -> list[dt.date]:
    """Months that have CDRs or totals, newest first (the month selector's choices)."""
    months = set(
        CDR.objects.filter(customer=customer).values_list("cycle_start", flat=True).distinct()
    )
    months |= set(
        CycleTotals.objects.filter(customer=customer).values_list("cycle_start", flat=True)
    )
    return sorted(months, reverse=True)


def cdr_counts_by_cycle(*, customer: Customer) -> dict[dt.date, int]:
    return dict(
        CDR.objects.filter(customer=customer)
        .values("cycle_start")
        .annotate(n=Count("id"))
        .values_list("cycle_start", "n")
    )


# --- The usage page's trend and per-device table (issue 17) -----------------------------------

USAGE_TYPES = ("voice", "sms", "data")


def _trend_empty(month: dt.date) -> dict:
    # A month never calculated: every value null, so a chart leaves a gap instead of a false 0.
    return {
        "month": month.strftime("%Y-%m"),
        "total_cost": None,
        "by_type": dict.fromkeys((*USAGE_TYPES, "subscription")),
        "roaming_cost": None,
    }


def cost_trend(*, customer: Customer, months: int, today: dt.date | None = None) -> list[dict]:
    """SPEC part 2 "Trend": the last `months` months up to the current one, oldest first, each
    `{month, total_cost, by_type: {voice, sms, data, subscription}, roaming_cost}` from the
    month's current totals; values null for a month never calculated. Two grouped queries
    whatever the number of months; sums in exact e4 integers as the totals are."""
    wanted = list(reversed(recent_cycles(months, today)))
    headers = {
        h.cycle_start: h
        for h in CycleTotals.objects.filter(customer=customer, cycle_start__in=wanted)
    }
    usage: dict[dt.date, dict[str, int]] = {}
    if headers:
        marks = ", ".join(["%s"] * len(headers))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT cycle_start, record_type, "
                f"CASE WHEN zone IN ('eu', 'international') THEN 1 ELSE 0 END, "
                f"SUM({e4_of('cost')}) FROM {UsageTotal._meta.db_table} "
                f"WHERE customer_id = %s AND cycle_start IN ({marks}) "
                "GROUP BY cycle_start, record_type, "
                "CASE WHEN zone IN ('eu', 'international') THEN 1 ELSE 0 END",
                [customer.pk, *headers],
            )
            for cycle_start, record_type, roaming, e4 in cursor.fetchall():
                # SQLite answers a date column as text here (no converter on a raw cursor).
                month = dt.date.fromisoformat(str(cycle_start))
                sums = usage.setdefault(month, {"voice": 0, "sms": 0, "data": 0, "roaming": 0})
                sums[record_type] += int(e4)
                if roaming:
                    sums["roaming"] += int(e4)
    answer = []
    for month in wanted:
        header = headers.get(month)
        if header is None:
            answer.append(_trend_empty(month))
            continue
        sums = usage.get(month, {"voice": 0, "sms": 0, "data": 0, "roaming": 0})
        answer.append(
            {
                "month": month.strftime("%Y-%m"),
                "total_cost": _money(header.total_cost),
                "by_type": {
                    **{t: str(from_e4(sums[t])) for t in USAGE_TYPES},
                    "subscription": _money(header.subscription_cost),
                },
                "roaming_cost": str(from_e4(sums["roaming"])),
            }
        )
    return answer


# The per-device table's columns a user may sort by, as SQL over the query below. Text sorts
# case-insensitively and a missing cost center as "" on both databases (NULLs sort first in
# SQLite and last in PostgreSQL); the msisdn breaks ties, so pages never overlap.
DEVICE_SORTS = {
    "msisdn": "msisdn",
    "label": "LOWER(label)",
    "user_name": "LOWER(user_name)",
    "cost_center": "LOWER(COALESCE(code, ''))",
    "voice_duration_s": "voice_duration_s",
    "voice_cost": "voice_e4",
    "sms_count": "sms_count",
    "sms_cost": "sms_e4",
    "data_volume_kb": "data_volume_kb",
    "data_cost": "data_e4",
    "subscription_cost": "subscription_e4",
    "total_cost": "total_e4",
}
DEFAULT_DEVICE_SORT = "-total_cost"
# The cost-center filter's value for devices without one on the day.
UNASSIGNED = "-"


class DeviceTableQuery(NamedTuple):
    q: str = ""
    cost_center: str = ""  # a code, UNASSIGNED, or "" for all
    usage_type: str = ""  # voice | sms | data: devices that used it; "" for all
    sort: str = DEFAULT_DEVICE_SORT
    page: int = 1
    page_size: int = 50


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def device_costs_page(*, customer: Customer, cycle_start: dt.date, query: DeviceTableQuery) -> dict:
    """One page of the month's devices, one row each: label, user, the cost center it had on the
    cycle's last day (where its monthly fee goes, SPEC "Chargeback"), its calls, texts and data
    with their costs, its fee and its total. The devices are those in the month's totals (usage
    or a fee). Filtering, sorting and paging happen in one SQL statement (plus its count), the
    same on SQLite and PostgreSQL. `query.sort` must be a DEVICE_SORTS key, optionally with "-".
    Answers {count, page, last_page, page_size, sort, items}; a page past the end is the last."""
    descending = query.sort.startswith("-")
    key = query.sort.lstrip("-")
    order = DEVICE_SORTS[key] + (" DESC" if descending else " ASC")
    last_day = cycle_end_of(cycle_start)
    usage_table, fee_table = UsageTotal._meta.db_table, SubscriptionTotal._meta.db_table
    assignments = CostCenterAssignment._meta.db_table
    centers, devices = CostCenter._meta.db_table, Device._meta.db_table

    def kind(record_type: str, value: str) -> str:
        return f"SUM(CASE WHEN record_type = '{record_type}' THEN {value} ELSE 0 END)"

    source = f"""
        WITH u AS (
            SELECT device_id,
                   {kind("voice", "duration_s")} AS voice_duration_s,
                   {kind("voice", "count")} AS voice_count,
                   {kind("voice", e4_of("cost"))} AS voice_e4,
                   {kind("sms", "count")} AS sms_count,
                   {kind("sms", e4_of("cost"))} AS sms_e4,
                   {kind("data", "volume_kb")} AS data_volume_kb,
                   {kind("data", "count")} AS data_count,
                   {kind("data", e4_of("cost"))} AS data_e4
            FROM {usage_table} WHERE customer_id = %(customer)s AND cycle_start = %(cycle)s
            GROUP BY device_id
        ), s AS (
            SELECT device_id, SUM({e4_of("cost")}) AS subscription_e4
            FROM {fee_table} WHERE customer_id = %(customer)s AND cycle_start = %(cycle)s
            GROUP BY device_id
        ), ids AS (
            SELECT device_id FROM u UNION SELECT device_id FROM s
        ), cc AS (
            -- Per device its assignment on the last day: one probe of the (device, valid_from)
            -- index each. A join of all assignments against their latest was planned as a
            -- nested loop when the assignments had no statistics: 28 s at 20,000 devices.
            SELECT device_id, (
                SELECT a.cost_center_id FROM {assignments} a
                WHERE a.device_id = ids.device_id AND a.valid_from <= %(last_day)s
                ORDER BY a.valid_from DESC LIMIT 1) AS cost_center_id
            FROM ids
        ), device_rows AS (
            SELECT d.id, d.msisdn, d.label, d.user_name, c.code AS code, c.name AS cc_name,
                   COALESCE(u.voice_duration_s, 0) AS voice_duration_s,
                   COALESCE(u.voice_count, 0) AS voice_count,
                   COALESCE(u.voice_e4, 0) AS voice_e4,
                   COALESCE(u.sms_count, 0) AS sms_count,
                   COALESCE(u.sms_e4, 0) AS sms_e4,
                   COALESCE(u.data_volume_kb, 0) AS data_volume_kb,
                   COALESCE(u.data_count, 0) AS data_count,
                   COALESCE(u.data_e4, 0) AS data_e4,
                   COALESCE(s.subscription_e4, 0) AS subscription_e4,
                   COALESCE(u.voice_e4, 0) + COALESCE(u.sms_e4, 0) + COALESCE(u.data_e4, 0)
                       + COALESCE(s.subscription_e4, 0) AS total_e4
            FROM ids JOIN {devices} d ON d.id = ids.device_id
            LEFT JOIN u ON u.device_id = ids.device_id
            LEFT JOIN s ON s.device_id = ids.device_id
            JOIN cc ON cc.device_id = ids.device_id
            LEFT JOIN {centers} c ON c.id = cc.cost_center_id AND c.customer_id = %(customer)s
        )
    """
    where, params = [], {"customer": customer.pk, "cycle": cycle_start, "last_day": last_day}
    if query.q.strip():
        params["q"] = _like(query.q.strip())
        where.append(
            "(msisdn LIKE %(q)s ESCAPE '\\' OR LOWER(label) LIKE %(q)s ESCAPE '\\' "
            "OR LOWER(user_name) LIKE %(q)s ESCAPE '\\')"
        )
    if query.cost_center == UNASSIGNED:
        where.append("code IS NULL")
    elif query.cost_center:
        params["cost_center"] = query.cost_center
        where.append("code = %(cost_center)s")
    if query.usage_type in USAGE_TYPES:
        where.append(f"{query.usage_type}_count > 0")
    filters = (" WHERE " + " AND ".join(where)) if where else ""
    # Settings of a big statement (SET LOCAL, so in a transaction): the CTEs' row counts are
    # guesses, and at 20,000 devices PostgreSQL's guess set off JIT compilation, 0.8 s of 1.1 s.
    # The page and the count in one statement (each pass is the whole month at 20,000 devices);
    # only a page past the end asks for the count alone, then for the last page.
    paged = (
        f"{source} SELECT *, COUNT(*) OVER () FROM device_rows{filters} "
        f"ORDER BY {order}, msisdn ASC LIMIT %(limit)s OFFSET %(offset)s"
    )
    page = max(1, query.page)
    with transaction.atomic(), connection.cursor() as cursor:
        dialect().big_statement(cursor)
        cursor.execute(
            paged, {**params, "limit": query.page_size, "offset": (page - 1) * query.page_size}
        )
        found = cursor.fetchall()
        if found:
            count = int(found[0][-1])
        else:
            cursor.execute(f"{source} SELECT COUNT(*) FROM device_rows{filters}", params)
            count = int(cursor.fetchone()[0])
            if count:
                page = -(-count // query.page_size)
                cursor.execute(
                    paged,
                    {**params, "limit": query.page_size, "offset": (page - 1) * query.page_size},
                )
                found = cursor.fetchall()
            else:
                page = 1
        last_page = max(1, -(-count // query.page_size))
    items = [
        {
            "id": r[0],
            "msisdn": r[1],
            "label": r[2],
            "user_name": r[3],
            "cost_center": {"code": r[4], "name": r[5]} if r[4] is not None else None,
            "voice_duration_s": int(r[6]),
            "voice_count": int(r[7]),
            "voice_cost": str(from_e4(r[8])),
            "sms_count": int(r[9]),
            "sms_cost": str(from_e4(r[10])),
            "data_volume_kb": int(r[11]),
            "data_count": int(r[12]),
            "data_cost": str(from_e4(r[13])),
            "subscription_cost": str(from_e4(r[14])),
            "total_cost": str(from_e4(r[15])),
        }
        for r in found
    ]
    return {
        "count": count,
        "page": page,
        "last_page": last_page,
        "page_size": query.page_size,
        "sort": query.sort,
        "items": items,
    }


def cost_centers_list(*, customer: Customer) -> list[tuple[str, str]]:
    """(code, name) of the customer's cost centers, by code: the device table's filter."""
    return list(
        CostCenter.objects.filter(customer=customer).order_by("code").values_list("code", "name")
    )


def month_totals_of(*, customer_ids: list[int], months: list[dt.date]) -> dict[tuple, str]:
    """{(customer id, month): total cost} of the calculated months among those asked, one query."""
    return {
        (customer_id, cycle_start): _money(total)
        for customer_id, cycle_start, total in CycleTotals.objects.filter(
            customer_id__in=customer_ids, cycle_start__in=months
        ).values_list("customer_id", "cycle_start", "total_cost")
    }
