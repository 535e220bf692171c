"""The per-customer Nina window: at most 10 calls in any 60 seconds, across every process and
machine.

Counted in nina_request_limit, whoever calls (addon changes and routit syncs alike).
An accepted addon request reserves its call's row in the transaction that dispatches
it, so the eleventh request within 60 s is refused at once instead of failing later;
its handler moves the reservation to the moment it calls. Every other call (a check
or a retry of a handler, a sync's page) takes a row when it is made, waiting for one
to free if the window is full.

Taking a row is one transaction that first locks the customer's row (PostgreSQL:
SELECT … FOR UPDATE; SQLite: the IMMEDIATE transaction is already the one writer),
counts, and writes: two processes can never both take the tenth row.
"""

import datetime as dt
import math
import threading
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from telcost.addons.models import NinaRequestLimit
from telcost.customers.models import Customer
from telcost.integrations.providers import ProviderError

MAX_REQUESTS = 10
WINDOW = dt.timedelta(seconds=60)
# A caller that waits for a row gives up after this: the window frees a row within 60 s
# unless other callers keep taking them.
MAX_WAIT_S = 300.0


class NinaWindowFull(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many requests")
        self.retry_after = retry_after


def _lock_customer(customer_id: int) -> None:
    # NO KEY: takers of rows wait for each other, not for transactions that insert rows referring
    # to the customer (an import's page).
    Customer.objects.select_for_update(no_key=True).filter(pk=customer_id).values_list(
        "pk", flat=True
    ).first()


def _seconds_until_free(
    *, customer_id: int, now: dt.datetime, exclude_pk: int | None = None
) -> float:
    """0 when the window has room now, else the seconds until it has."""
    times = list(
        NinaRequestLimit.objects.filter(customer_id=customer_id, request_time__gt=now - WINDOW)
        .exclude(pk=exclude_pk)
        .order_by("request_time")
        .values_list("request_time", flat=True)
    )
    if len(times) < MAX_REQUESTS:
        return 0.0
    # The window has room again once all but MAX_REQUESTS - 1 of its rows have left it.
    return max((times[len(times) - MAX_REQUESTS] + WINDOW - now).total_seconds(), 0.001)


def nina_requests_in_window(*, customer_id: int, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return NinaRequestLimit.objects.filter(
        customer_id=customer_id, request_time__gt=now - WINDOW
    ).count()


def nina_request_reserve(*, customer_id: int, job) -> None:
    """Reserve the call of an accepted request, inside the transaction that dispatches `job`.

    NinaWindowFull (with the seconds until a row frees) when the window is full: the
    caller's transaction, and so the dispatch, is rolled back.
    """
    _lock_customer(customer_id)
    now = timezone.now()
    wait = _seconds_until_free(customer_id=customer_id, now=now)
    if wait:
        raise NinaWindowFull(math.ceil(wait))
    NinaRequestLimit.objects.create(customer_id=customer_id, request_time=now, job=job)


def nina_request_slot_take(*, customer_id: int, job=None) -> float:
    """Take a row for a call about to be made: 0.0 when taken, else the seconds to wait for one.

    A job's reservation, made when its request was accepted, is used by its first call:
    its time becomes the call's. Later calls of the job take rows of their own.
    """
    with transaction.atomic():
        _lock_customer(customer_id)
        now = timezone.now()
        reservation = (
            NinaRequestLimit.objects.filter(customer_id=customer_id, job=job).first()
            if job is not None
            else None
        )
        wait = _seconds_until_free(
            customer_id=customer_id, now=now, exclude_pk=reservation.pk if reservation else None
        )
        if wait:
            return wait
        if reservation is not None:
            NinaRequestLimit.objects.filter(pk=reservation.pk).update(request_time=now, job=None)
        else:
            NinaRequestLimit.objects.create(customer_id=customer_id, request_time=now)
        # Old rows are no longer needed for any window.
        NinaRequestLimit.objects.filter(
            customer_id=customer_id, request_time__lt=now - 10 * WINDOW
        ).delete()
        return 0.0


def nina_request_slot_wait(*, customer_id: int, job=None, max_wait_s: float = MAX_WAIT_S) -> None:
    """Take a row, waiting for one to free: a call waits its turn rather than fail.

    NinaWindowFull if none freed within max_wait_s.
    """
    deadline = time.monotonic() + max_wait_s
    while wait := nina_request_slot_take(customer_id=customer_id, job=job):
        left = deadline - time.monotonic()
        if left <= 0:
            raise NinaWindowFull(math.ceil(wait))
        time.sleep(min(wait, left))


def nina_request_limiter(*, customer_id: int) -> Callable[[], None]:
    """A callable that waits for a row of the customer's window, for a client that calls Nina
    (routit's CDR pages). Safe in any thread: one that is not the caller's closes its own
    database connection after each use, as it has no transaction to share. A window that
    stays full is a provider that cannot be called now: a transient ProviderError."""
    owner = threading.get_ident()

    def wait_for_slot() -> None:
        try:
            nina_request_slot_wait(customer_id=customer_id)
        except NinaWindowFull:
            raise ProviderError(
                "the customer's Nina window (10 requests a minute) stayed full", transient=True
            ) from None
        finally:
            if threading.get_ident() != owner:
                connection.close()

    return wait_for_slot
