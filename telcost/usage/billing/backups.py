"""DispatchTotalsBackupCommand: the totals of each recalculation kept as a backup."""

import datetime as dt

from django.db import IntegrityError, connection, transaction

from telcost.customers.models import Customer, Device
from telcost.jobs.errors import PermanentError
from telcost.usage.models import (
    CycleTotals,
    SubscriptionTotal,
    TotalsBackup,
    TotalsBackupRow,
    UsageTotal,
)


def totals_backup_create(
    *, customer: Customer, cycle_start: dt.date, version: int, user=None, reason: str = ""
) -> dict:
    """Snapshot the current totals as `version`. Idempotent: the same version twice is one
    backup."""
    existing = TotalsBackup.objects.filter(
        customer=customer, cycle_start=cycle_start, version=version
    ).first()
    if existing is not None:
        return {"backup_id": existing.pk, "version": version}
    header = CycleTotals.objects.filter(customer=customer, cycle_start=cycle_start).first()
    if header is None or header.version != version:
        current = header.version if header else None
        raise PermanentError(
            f"the totals are at version {current}, not {version}: nothing to back up"
        )
    try:
        with transaction.atomic():
            backup = TotalsBackup.objects.create(
                customer=customer,
                cycle_start=cycle_start,
                version=version,
                created_by=user if getattr(user, "pk", None) else None,
                reason=reason[:200],
                total_cost=header.total_cost,
                subscription_cost=header.subscription_cost,
            )
            rows, usage, subs, device = (
                TotalsBackupRow._meta.db_table,
                UsageTotal._meta.db_table,
                SubscriptionTotal._meta.db_table,
                Device._meta.db_table,
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO {rows} (backup_id, device_id, msisdn, record_type, zone, count,
                        duration_s, volume_kb, cost)
                    SELECT %s, u.device_id, d.msisdn, u.record_type, u.zone, u.count, u.duration_s,
                        u.volume_kb, u.cost
                    FROM {usage} u JOIN {device} d ON d.id = u.device_id
                    WHERE u.customer_id = %s AND u.cycle_start = %s
                    UNION ALL
                    SELECT %s, s.device_id, d.msisdn, 'subscription', '', 1, 0, 0, s.cost
                    FROM {subs} s JOIN {device} d ON d.id = s.device_id
                    WHERE s.customer_id = %s AND s.cycle_start = %s
                    """,
                    [backup.pk, customer.pk, cycle_start, backup.pk, customer.pk, cycle_start],
                )
    except IntegrityError:
        # A concurrent run of the same step made it first.
        backup = TotalsBackup.objects.get(
            customer=customer, cycle_start=cycle_start, version=version
        )
    return {"backup_id": backup.pk, "version": version}
