"""Customers, their devices (SIMs), cost centers and rate plans."""

from django.conf import settings
from django.db import models


class RatePlan(models.Model):
    """A rate plan: its code and name. What it costs lives in its versions (RatePlanVersion),
    the one source of truth for rating and totals; `name` follows the latest version's."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.code


class RatePlanVersion(models.Model):
    """A rate plan as it holds from `valid_from` (the first day of a month) on.

    The version whose valid_from is the latest on or before a cycle's start rates that cycle, and
    its monthly_fee is the cycle's fee: one source of truth for rating and totals (SPEC part 2).
    `definition` is the whole rate plan document of SPEC part 1; monthly_fee mirrors its fee.
    """

    rate_plan = models.ForeignKey(RatePlan, on_delete=models.CASCADE, related_name="versions")
    valid_from = models.DateField()
    definition = models.JSONField()
    monthly_fee = models.DecimalField(max_digits=12, decimal_places=4)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rate_plan", "valid_from"], name="one_rate_plan_version_per_month"
            )
        ]
        ordering = ["rate_plan", "valid_from"]

    def __str__(self) -> str:
        return f"{self.rate_plan_id}@{self.valid_from:%Y-%m}"


class Customer(models.Model):
    class Kind(models.TextChoices):
        STANDARD = "standard", "standard"
        RATEPLAN = "rateplan", "rateplan"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.STANDARD)
    rate_plan = models.ForeignKey(
        RatePlan, null=True, blank=True, on_delete=models.PROTECT, related_name="customers"
    )
    partner = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # The customer's reference at Routit / the Nina API.
    external_ref = models.CharField(max_length=64, blank=True, default="")
    calculate_totals = models.BooleanField(default=False)
    # Status of the last totals calculation (SaveStatusCommand writes these).
    totals_calculated_at = models.DateTimeField(null=True, blank=True)
    totals_calculated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    totals_version = models.PositiveIntegerField(null=True, blank=True)
    totals_outcome = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_rateplan(self) -> bool:
        # The seed calls these "Datri customers".
        return self.kind == self.Kind.RATEPLAN

    @property
    def is_partner(self) -> bool:
        return self.children.exists()


class Device(models.Model):
    """A SIM card. msisdn is unique across the whole system."""

    msisdn = models.CharField(max_length=20, unique=True)
    iccid = models.CharField(max_length=22, blank=True, default="")
    label = models.CharField(max_length=200, blank=True, default="")
    # Who carries the SIM (SPEC part 2 "Master data"): a name the customer's manager keeps.
    user_name = models.CharField(max_length=200, blank=True, default="")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="devices")
    activated_on = models.DateField()
    deactivated_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "activated_on"])]

    def __str__(self) -> str:
        return self.msisdn


class CostCenter(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="cost_centers")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "code"], name="cost_center_code_per_customer"
            )
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CostCenterAssignment(models.Model):
    """A device belongs to a cost center from valid_from on, until a later assignment.

    An assignment without a cost center says "unassigned from valid_from on": it ends the
    device's previous period and starts none (customers.selectors.cost_center_periods).
    A cost center an assignment names cannot be deleted (PROTECT): its history would change.
    """

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="cost_center_assignments"
    )
    cost_center = models.ForeignKey(
        CostCenter, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    valid_from = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "valid_from"], name="one_assignment_per_device_day"
            )
        ]
        indexes = [models.Index(fields=["device", "-valid_from"])]
