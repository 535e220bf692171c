"""The per-customer Nina window: at most 10 calls in any 60 seconds, across every process and machine.

Counted in nina_request_limit. Taking a slot is one transaction that first locks
the customer's row (PostgreSQL: SELECT … FOR UPDATE; SQLite: the IMMEDIATE
transaction is already the one writer), counts, and records the call: two
processes can never both take the tenth slot.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from telcost.addons.models import NinaRequestLimit
from telcost.customers.models import Customer

MAX_REQUESTS = 10
WINDOW = dt.timedelta(seconds=60)


def nina_requests_in_window(*, customer_id: int, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return NinaRequestLimit.objects.filter(customer_id=customer_id, request_time__gt=now - WINDOW).count()


def nina_window_open(*, customer_id: int) -> bool:
    """A quick look for the endpoint; the handler's nina_request_slot_take is what decides."""
    return nina_requests_in_window(customer_id=customer_id) < MAX_REQUESTS


def nina_request_slot_take(*, customer_id: int) -> bool:
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True).first()
        now = timezone.now()
        if nina_requests_in_window(customer_id=customer_id, now=now) >= MAX_REQUESTS:
            return False
        NinaRequestLimit.objects.create(customer_id=customer_id, request_time=now)
        # Old rows are no longer needed for any window.
        NinaRequestLimit.objects.filter(customer_id=customer_id, request_time__lt=now - 10 * WINDOW).delete()
        return True
