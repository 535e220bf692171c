"""Reads of the usage app: totals in SPEC's shape, insights, versions and their differences."""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Sum

from telcost.customers.models import Customer
from telcost.usage.models import (
    CDR,
    BillingInsight,
    CycleTotals,
    SubscriptionTotal,
    TotalsBackup,
    TotalsBackupRow,
    UsageTotal,
)

ZERO = Decimal("0.0000")


def _money(value) -> str:
    return str(Decimal(value or 0).quantize(ZERO))


def totals_get(*, customer: Customer, cycle_start: dt.date) -> dict | None:
    header = CycleTotals.objects.filter(customer=customer, cycle_start=cycle_start).first()
    if header is None:
        return None
    # Plain tuples, not model instances: a customer of 2,000 devices has 18,000 rows here.
    rows = (
        UsageTotal.objects.filter(customer=customer, cycle_start=cycle_start)
        .order_by("device__msisdn", "record_type", "zone")
        .values_list(
            "device__msisdn", "record_type", "zone", "count", "duration_s", "volume_kb", "cost"
        )
    )
    by_type = {
        "voice": {"count": 0, "duration_s": 0, "cost": ZERO},
        "sms": {"count": 0, "cost": ZERO},
        "data": {"count": 0, "volume_kb": 0, "cost": ZERO},
    }
    devices = []
    for msisdn, record_type, zone, count, duration_s, volume_kb, cost in rows:
        entry = by_type[record_type]
        entry["count"] += count
        entry["cost"] += cost
        if record_type == "voice":
            entry["duration_s"] += duration_s
        elif record_type == "data":
            entry["volume_kb"] += volume_kb
        devices.append(
            {
                "msisdn": msisdn,
                "record_type": record_type,
                "zone": zone,
                "count": count,
                "duration_s": duration_s,
                "volume_kb": volume_kb,
                "cost": _money(cost),
            }
        )
    for entry in by_type.values():
        entry["cost"] = _money(entry["cost"])
    return {
        "customer_id": customer.pk,
        "cycle_start": cycle_start.isoformat(),
        "version": header.version,
        "calculated_at": header.calculated_at.isoformat(),
        "total_cost": _money(header.total_cost),
        "subscription_cost": _money(header.subscription_cost),
        "by_type": by_type,
        "devices": devices,
    }


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
