"""Reads of the accounts app."""

from django.db.models import QuerySet
from django.utils import timezone

from telcost.accounts.models import ApiToken, password_fingerprint


def api_tokens_live(*, user) -> QuerySet[ApiToken]:
    """The user's tokens that still work, oldest first.

    Not the expired ones, nor those issued before the password last changed.
    """
    return ApiToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), password_fingerprint=password_fingerprint(user)
    ).order_by("created_at", "pk")
