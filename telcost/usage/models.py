"""Call detail records. Rating, totals, insights and backups add their tables here."""

from django.conf import settings
from django.db import models


class RecordType(models.TextChoices):
    VOICE = "voice", "voice"
    SMS = "sms", "sms"
    DATA = "data", "data"


class Zone(models.TextChoices):
    NATIONAL = "national", "national"
    EU = "eu", "eu"
    INTERNATIONAL = "international", "international"


class CDR(models.Model):
    # No database-level foreign keys on this append-only fact table: PostgreSQL checks them row by
    # row through triggers, 30-45% of an import's INSERT time. Only the import service writes CDRs,
    # and it admits a row only for a device of that customer (set-based, per batch); deleting a
    # customer or device still removes its CDRs (Django's CASCADE). No index on customer alone:
    # the (customer, external_id) and (customer, cycle) indexes start with it. No index on device:
    # every reader takes a customer's month, and an import keeps each index it must update in
    # step (see Meta); deleting a device (devices are deactivated, not deleted) scans instead.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="cdrs",
        db_constraint=False,
        db_index=False,
    )
    device = models.ForeignKey(
        "customers.Device",
        on_delete=models.CASCADE,
        related_name="cdrs",
        db_constraint=False,
        db_index=False,
    )
    external_id = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    record_type = models.CharField(max_length=8, choices=RecordType.choices)
    zone = models.CharField(max_length=16, choices=Zone.choices)
    destination = models.CharField(max_length=64, blank=True, default="")
    duration_s = models.PositiveIntegerField(default=0)
    volume_kb = models.PositiveBigIntegerField(default=0)
    provider_cost = models.DecimalField(max_digits=14, decimal_places=4)
    # The rated cost: provider_cost for standard customers, the rate plan's price otherwise
    # (usage/billing/cost.py).
    cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # First day of the billing cycle (calendar month in Europe/Amsterdam).
    cycle_start = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "external_id"], name="cdr_unique_external_id"
            )
        ]
        # A customer's month is read whole (rating, totals, exports), so (customer, cycle) is all
        # the
        # readers need. Its keys repeat, so PostgreSQL stores them deduplicated and an import
        # appends
        # to them; a device in the key sent each imported row to a random leaf, and with the index
        # on
        # device alone that was a fifth of an import of new CDRs.
        indexes = [
            models.Index(fields=["customer", "cycle_start"], name="cdr_customer_cycle"),
        ]


class CycleTotals(models.Model):
    """The header of a customer-month's current totals (CalculateTotalsCommand replaces it)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="cycle_totals"
    )
    cycle_start = models.DateField()
    version = models.PositiveIntegerField()
    # The job run that produced this version: a retried step reuses the version instead of burning a
    # new one.
    run_key = models.CharField(max_length=64, blank=True, default="")
    calculated_at = models.DateTimeField()
    total_cost = models.DecimalField(max_digits=16, decimal_places=4)
    subscription_cost = models.DecimalField(max_digits=16, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "cycle_start"], name="one_totals_per_cycle")
        ]


# The per-device rows of totals and backups are written only set-based by their services, from rows
# that exist in the same transaction, so they have no database-level foreign keys: PostgreSQL checks
# Django's (deferred) ones row by row at COMMIT, 0.4 s of writing a month's 18,000 usage totals.
# Deleting a customer, device or backup still removes them (Django's CASCADE).


class UsageTotal(models.Model):
    """Usage per (customer, cycle, device, record type, zone)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    cycle_start = models.DateField()
    device = models.ForeignKey(
        "customers.Device", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    record_type = models.CharField(max_length=8, choices=RecordType.choices)
    zone = models.CharField(max_length=16, choices=Zone.choices)
    count = models.PositiveIntegerField()
    duration_s = models.PositiveBigIntegerField()
    volume_kb = models.PositiveBigIntegerField()
    cost = models.DecimalField(max_digits=16, decimal_places=4)
    # Voice CDRs longer than 0 s: each carries the setup fee, so insights can tell the
    # out-of-bundle cost from the totals without reading the CDRs again.
    answered_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "cycle_start"], name="usagetotal_customer_cycle")
        ]


class SubscriptionTotal(models.Model):
    """The monthly fee of each device active in the cycle (rate-plan customers)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    cycle_start = models.DateField()
    device = models.ForeignKey(
        "customers.Device", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    cost = models.DecimalField(max_digits=16, decimal_places=4)

    class Meta:
        indexes = [models.Index(fields=["customer", "cycle_start"], name="subtotal_customer_cycle")]


class BillingInsight(models.Model):
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    cycle_start = models.DateField()
    calculated_at = models.DateTimeField()
    data = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "cycle_start"], name="one_insight_per_cycle"
            )
        ]


class ImmutableError(Exception):
    pass


class TotalsBackup(models.Model):
    """An immutable, numbered snapshot of a cycle's totals (DispatchTotalsBackupCommand)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    cycle_start = models.DateField()
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True, default="")
    total_cost = models.DecimalField(max_digits=16, decimal_places=4)
    subscription_cost = models.DecimalField(max_digits=16, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "cycle_start", "version"], name="one_backup_per_version"
            )
        ]
        ordering = ["-version"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError("a totals backup is never changed")
        super().save(*args, **kwargs)


class TotalsBackupRow(models.Model):
    backup = models.ForeignKey(
        TotalsBackup, on_delete=models.CASCADE, related_name="rows", db_constraint=False
    )
    device_id = models.BigIntegerField()
    msisdn = models.CharField(max_length=20)
    record_type = models.CharField(
        max_length=16
    )  # a usage type, or "subscription" for the monthly fee
    zone = models.CharField(max_length=16, blank=True, default="")
    count = models.PositiveIntegerField()
    duration_s = models.PositiveBigIntegerField()
    volume_kb = models.PositiveBigIntegerField()
    cost = models.DecimalField(max_digits=16, decimal_places=4)
