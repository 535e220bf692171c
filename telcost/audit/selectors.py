"""Reads of the audit log: whose entries a user may read, filtered by object type, actor and dates.

Staff read everything; a manager of a customer (or of its partner) reads that customer's
entries; viewers read none (accounts/rules.py AUDIT). Entries without a customer (users,
rate plans) are for staff only.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from telcost.accounts.access import AUDIT, customers_for
from telcost.audit.models import AuditEntry
from telcost.audit.services import OBJECT_TYPES, SYSTEM

PAGE_SIZE = 50


class AuditFilterError(ValueError):
    """A filter value that names no object type, or no date: the message names the field."""


@dataclass
class AuditFilters:
    object_type: str | None = None
    actor: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def audit_filters(*, object_type=None, actor=None, since=None, until=None) -> AuditFilters:
    """Filters from text (query string, form); AuditFilterError names the bad field."""
    if object_type and object_type not in OBJECT_TYPES:
        raise AuditFilterError(f"object_type: must be one of {', '.join(OBJECT_TYPES)}")
    days = {}
    for name, value in (("since", since), ("until", until)):
        if isinstance(value, str) and value:
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                raise AuditFilterError(f"{name}: not a date (YYYY-MM-DD)") from None
        days[name] = value or None
    if days["since"] and days["until"] and days["since"] > days["until"]:
        raise AuditFilterError("until: before since")
    return AuditFilters(
        object_type=object_type or None, actor=(actor or "").strip() or None, **days
    )


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def audit_entries_filtered(
    entries: QuerySet[AuditEntry], filters: AuditFilters
) -> QuerySet[AuditEntry]:
    """`since` and `until` are days in Europe/Amsterdam, both included."""
    if filters.object_type:
        entries = entries.filter(object_type=filters.object_type)
    if filters.actor:
        entries = (
            entries.filter(actor_id__isnull=True)
            if filters.actor == SYSTEM
            else entries.filter(actor=filters.actor)
        )
    if filters.since:
        entries = entries.filter(at__gte=_local_midnight(filters.since))
    if filters.until:
        entries = entries.filter(at__lt=_local_midnight(filters.until + dt.timedelta(days=1)))
    return entries.order_by("-at", "-id")


def audit_entries_of_customer(customer_id: int) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(customer_id=customer_id)


def audit_entries_for(user) -> QuerySet[AuditEntry]:
    """Every entry the user may read: staff all, a manager those of the customers they manage
    (directly or through a partner); PermissionDenied for a user who manages none."""
    if user.is_staff and user.is_active:
        return AuditEntry.objects.all()
    customers = customers_for(user, AUDIT)
    if not customers.exists():
        raise PermissionDenied("Unauthorized")
    return AuditEntry.objects.filter(customer_id__in=customers.values("pk"))


def audit_actors(entries: QuerySet[AuditEntry]) -> list[str]:
    """The actors that appear in these entries, for the filter's choices."""
    return sorted(set(entries.values_list("actor", flat=True).distinct()))
