"""Memberships (who may see or operate which customer) and API tokens."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", "viewer"
        MANAGER = "manager", "manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "customer"], name="one_membership_per_user_customer"
            )
        ]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def password_fingerprint(user) -> str:
    """Changes whenever the user's password does: a token carries the one it was issued under.

    A digest of the (salted, slow) password hash, so it tells nothing the hash does not, and
    it does not depend on TELCOST_SECRET_KEY (rotating that does not end tokens).
    """
    return hashlib.sha256(user.password.encode()).hexdigest()


def token_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.API_TOKEN_DAYS)


class ApiToken(models.Model):
    """Only the token's hash is stored: a database leak does not leak logins.

    A token works until expires_at, while its user's password is the one it was issued under.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(default=token_expiry)
    password_fingerprint = models.CharField(max_length=64, default="")

    @classmethod
    def issue(cls, user, name: str = "") -> tuple["ApiToken", str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            key_hash=hash_token(raw),
            name=name,
            password_fingerprint=password_fingerprint(user),
        )
        return token, raw

    def is_live(self) -> bool:
        return (
            self.expires_at > timezone.now()
            and self.password_fingerprint == password_fingerprint(self.user)
        )


class LoginThrottle(models.Model):
    """Failed logins per username or per address in the current window (telcost.accounts.throttle).

    In the database, so every web process counts the same failures. The key is a digest:
    usernames that do not exist are tried too, and are not stored.
    """

    key = models.CharField(max_length=80, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
