"""Writes of the idempotency app that are not a request's own: the clean-up of expired keys."""

import datetime as dt

from django.utils import timezone

from telcost.idempotency.models import IdempotencyKey

# How long a key's first answer is replayed (and another body under it refused).
KEY_LIFETIME = dt.timedelta(hours=24)


def idempotency_keys_delete_expired(*, now: dt.datetime | None = None) -> int:
    """Forget keys older than KEY_LIFETIME; the number deleted."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=now - KEY_LIFETIME).delete()
    return deleted
