"""Reads of the accounts app."""

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from telcost.accounts.models import ApiToken, Membership, password_fingerprint


def api_tokens_live(*, user) -> QuerySet[ApiToken]:
    """The user's tokens that still work, oldest first.

    Not the expired ones, nor those issued before the password last changed.
    """
    return ApiToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), password_fingerprint=password_fingerprint(user)
    ).order_by("created_at", "pk")


def users_listed(*, q: str = "") -> QuerySet:
    """Users by username with their memberships (and those memberships' customers) prefetched;
    `q` matches a part of the username or email."""
    users = get_user_model().objects.order_by("username", "pk")
    if q := q.strip():
        users = users.filter(Q(username__icontains=q) | Q(email__icontains=q))
    return users.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("customer").order_by("customer__name"),
        )
    )


def user_by_id(user_id: int | None):
    """The user with this id, or None (also for ids no database column could hold)."""
    if user_id is None or not 1 <= user_id < 2**63:
        return None
    return users_listed().filter(pk=user_id).first()


def password_set_path(user) -> str:
    """The path of a one-time link on which the user chooses a password (Django's reset token:
    it stops working once the password changes, and after PASSWORD_RESET_TIMEOUT)."""
    return reverse(
        "accounts:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
