"""Failed logins throttled per username and per client address (the login page and the API).

Fixed windows in the database (LoginThrottle): a key's first failure starts its window; once
it holds the limit of failures, every try with that username or from that address is refused,
the right password included and without checking it, until the window ends. A right
password before that clears the username's count, not the address's: one account an attacker
owns must not reset the count of the address it guesses others' passwords from.
"""

import datetime as dt
import hashlib
import math

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from telcost.accounts.models import LoginThrottle


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after


def client_address(request) -> str:
    """The client's address; behind a proxy (TELCOST_BEHIND_PROXY) the one it appended last."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")


def _digest(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _limits(*, username: str, address: str) -> dict[str, int]:
    return {
        _digest("user", username.casefold()): settings.LOGIN_FAILURES_PER_USERNAME,
        _digest("addr", address): settings.LOGIN_FAILURES_PER_ADDRESS,
    }


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LOGIN_THROTTLE_SECONDS)


def login_throttle_check(*, username: str, address: str) -> None:
    """Raise LoginThrottled (with the seconds to wait) when this username or address must wait."""
    now = timezone.now()
    limits = _limits(username=username, address=address)
    waits = [
        (started + _window() - now).total_seconds()
        for key, failures, started in LoginThrottle.objects.filter(
            key__in=limits, window_started_at__gt=now - _window()
        ).values_list("key", "failures", "window_started_at")
        if failures >= limits[key]
    ]
    if waits:
        raise LoginThrottled(max(1, math.ceil(max(waits))))


def login_failure_record(*, username: str, address: str) -> None:
    now = timezone.now()
    for key in _limits(username=username, address=address):
        # Atomic increments: web processes failing at once each count.
        if LoginThrottle.objects.filter(key=key, window_started_at__gt=now - _window()).update(
            failures=F("failures") + 1
        ):
            continue
        if LoginThrottle.objects.filter(key=key).update(failures=1, window_started_at=now):
            continue  # the old window had ended: this failure starts a new one
        try:
            with transaction.atomic():
                LoginThrottle.objects.create(key=key, failures=1, window_started_at=now)
        except IntegrityError:  # another process created it first
            LoginThrottle.objects.filter(key=key).update(failures=F("failures") + 1)


def login_success_record(*, username: str) -> None:
    LoginThrottle.objects.filter(key=_digest("user", username.casefold())).delete()
