"""Addons of a customer at Routit (the seed's customer_addon, addon_log, nina_request_limit)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AddonType(models.TextChoices):
    DATA_BOOST = "data_boost", "Data boost"
    EU_ROAMING = "eu_roaming", "EU roaming bundle"
    WORLD_ROAMING = "world_roaming", "World roaming bundle"


# What each addon adds. data_boost raises the cycle's data allowance of the
# customer's devices by its MB (SPEC: 1024 × data_mb KB per active boost).
# The label is what pages call it, in the reader's language.
ADDON_CATALOGUE = {
    AddonType.DATA_BOOST: {"label": _("Data boost 5 GB"), "data_mb": 5120},
    AddonType.EU_ROAMING: {"label": _("EU roaming bundle"), "data_mb": 0},
    AddonType.WORLD_ROAMING: {"label": _("World roaming bundle"), "data_mb": 0},
}


class CustomerAddon(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        CANCELLED = "cancelled"
        FAILED = "failed"

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="addons"
    )
    addon_type = models.CharField(max_length=32, choices=AddonType.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    data_mb = models.PositiveIntegerField(default=0)
    activated_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True, default="")
    # The job that created (activation) this row: a retried step finds it instead of adding a second
    # one.
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "customer_addon"
        indexes = [models.Index(fields=["customer", "addon_type", "status"])]


class AddonLog(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="addon_logs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16)
    addon_type = models.CharField(max_length=32)
    # pending (accepted, not settled yet) | success | rate_limited | api_failure. The row's id is
    # the
    # request's reference at Nina, which applies a reference once.
    outcome = models.CharField(max_length=16)
    error = models.TextField(blank=True, default="")
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "addon_log"
        ordering = ["-created_at", "-id"]


class NinaRequestLimit(models.Model):
    """One row per call made to the Nina API: the per-customer window counts these."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    request_time = models.DateTimeField(db_index=True)
    # Set while the row is the reservation of an accepted request whose call is not made yet.
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "nina_request_limit"
        indexes = [models.Index(fields=["customer", "request_time"])]
