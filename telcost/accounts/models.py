"""Memberships (who may see or operate which customer) and API tokens."""

import hashlib
import secrets

from django.conf import settings
from django.db import models


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", "viewer"
        MANAGER = "manager", "manager"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "customer"], name="one_membership_per_user_customer")]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """Only the token's hash is stored: a database leak does not leak logins."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(cls, user) -> tuple["ApiToken", str]:
        raw = secrets.token_urlsafe(32)
        return cls.objects.create(user=user, key_hash=hash_token(raw)), raw
