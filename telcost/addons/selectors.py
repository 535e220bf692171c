"""Reads of the addons app."""

import datetime as dt

from django.db.models import Q, Sum

from telcost.addons.models import AddonType, CustomerAddon
from telcost.usage.cycles import cycle_bounds


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
