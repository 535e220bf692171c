"""Call detail records. Rating, totals, insights and backups add their tables here."""

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
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="cdrs")
    device = models.ForeignKey("customers.Device", on_delete=models.CASCADE, related_name="cdrs")
    external_id = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    record_type = models.CharField(max_length=8, choices=RecordType.choices)
    zone = models.CharField(max_length=16, choices=Zone.choices)
    destination = models.CharField(max_length=64, blank=True, default="")
    duration_s = models.PositiveIntegerField(default=0)
    volume_kb = models.PositiveBigIntegerField(default=0)
    provider_cost = models.DecimalField(max_digits=14, decimal_places=4)
    # The rated cost: provider_cost for standard customers, the rate plan's price otherwise.
    cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # First day of the billing cycle (calendar month in Europe/Amsterdam).
    cycle_start = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "external_id"], name="cdr_unique_external_id")]
        indexes = [models.Index(fields=["customer", "cycle_start", "device"], name="cdr_customer_cycle_device")]
