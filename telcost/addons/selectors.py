"""Reads of the addons app."""

import datetime as dt

from django.db.models import Q, Sum

from telcost.addons.models import ADDON_CATALOGUE, AddonType, CustomerAddon
from telcost.core.cycles import cycle_bounds


def addon_label(code: str) -> str:
    """An addon type's name ("Data boost 5 GB") in the reader's language; an unknown code as it
    is."""
    entry = ADDON_CATALOGUE.get(code)
    return str(entry["label"]) if entry else str(code)


def data_boost_mb_for_cycle(*, customer_id: int, cycle_start: dt.date) -> int:
    """Extra MB of the customer's data boosts active at any moment of the cycle (boosts stack)."""
    start, end = cycle_bounds(cycle_start)
    total = (
        CustomerAddon.objects.filter(
            customer_id=customer_id,
            addon_type=AddonType.DATA_BOOST,
            activated_at__isnull=False,
            activated_at__lt=end,
        )
        .exclude(status__in=[CustomerAddon.Status.FAILED, CustomerAddon.Status.PENDING])
        .filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=start))
        .aggregate(mb=Sum("data_mb"))["mb"]
    )
    return int(total or 0)


def addons_of_customer(*, customer_id: int) -> dict:
    from telcost.addons.models import AddonLog

    return {
        "addons": [
            {
                "id": a.pk,
                "addon_type": a.addon_type,
                "status": a.status,
                "data_mb": a.data_mb,
                "activated_at": a.activated_at,
                "cancelled_at": a.cancelled_at,
                "provider_reference": a.provider_reference,
            }
            for a in CustomerAddon.objects.filter(customer_id=customer_id).order_by(
                "-created_at", "-pk"
            )
        ],
        "history": [
            {
                "action": entry.action,
                "addon_type": entry.addon_type,
                "outcome": entry.outcome,
                "error": entry.error,
                "user": entry.user.username if entry.user_id else None,
                "created_at": entry.created_at,
            }
            for entry in AddonLog.objects.filter(customer_id=customer_id).select_related("user")[
                :100
            ]
        ],
    }
