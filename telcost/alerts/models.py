"""Alert rules of a customer and the alerts they fired (SPEC part 2 "Cost control" → "Alerts").

A rule watches one metric of a month (total cost, roaming cost, data volume or out-of-bundle
cost) for the customer, one cost center or one device. For a cost_center or device rule the
target may be empty: the rule then watches each cost center (each of the customer's cost centers
by code; `unassigned` is no cost center) or each device, and each one over the threshold fires on
its own. The values are computed by the usage app (usage/billing/alert_metrics.py) at the end of
every recalculation of a month (EvaluateAlertsCommand).

An alert is the record that a rule fired for a month and a target: at most one per (rule, month,
target), whatever runs again, and it stays when the value later falls below the threshold (it did
fire). A deleted rule is kept as a row (deleted_at) so its fired alerts keep their rule.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Metric(models.TextChoices):
    TOTAL_COST = "total_cost", _("Total cost")
    ROAMING_COST = "roaming_cost", _("Roaming cost")
    DATA_MB = "data_mb", _("Data volume")
    OUT_OF_BUNDLE_COST = "out_of_bundle_cost", _("Out-of-bundle cost")


class Scope(models.TextChoices):
    CUSTOMER = "customer", pgettext_lazy("alert scope", "Customer")
    COST_CENTER = "cost_center", pgettext_lazy("alert scope", "Cost center")
    DEVICE = "device", pgettext_lazy("alert scope", "Device")


class Language(models.TextChoices):
    NL = "nl", "Nederlands"
    EN = "en", "English"


# A money metric compares euros; data_mb compares MB (1 MB = 1024 KB, as rating counts).
MONEY_METRICS = frozenset({Metric.TOTAL_COST, Metric.ROAMING_COST, Metric.OUT_OF_BUNDLE_COST})


class AlertRuleQuerySet(models.QuerySet):
    def live(self):
        """Rules that are not deleted (active or not)."""
        return self.filter(deleted_at__isnull=True)


class AlertRule(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="alert_rules"
    )
    name = models.CharField(max_length=200)
    metric = models.CharField(max_length=32, choices=Metric.choices)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    # A cost center's code or a device's msisdn; "" (the API's null) for the customer, and for a
    # cost_center or device rule that watches each cost center or each device.
    target = models.CharField(max_length=64, blank=True, default="")
    threshold = models.DecimalField(max_digits=14, decimal_places=4)
    recipients = models.JSONField(default=list)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.NL)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = AlertRuleQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["customer", "active"], name="alert_rule_customer")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gte=0), name="alert_rule_threshold_not_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(scope="customer") | models.Q(target=""),
                name="alert_rule_customer_scope_has_no_target",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """A rule that fired for a month (cycle_start) and a target ("" for the customer)."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    # The rule's customer, kept here so a month's alerts of a customer are one indexed read.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="alerts"
    )
    cycle_start = models.DateField()
    target = models.CharField(max_length=64, blank=True, default="")
    value = models.DecimalField(max_digits=20, decimal_places=4)
    threshold = models.DecimalField(max_digits=14, decimal_places=4)  # the rule's when it fired
    fired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "cycle_start", "target"], name="alert_once_per_rule_month_target"
            )
        ]
        indexes = [models.Index(fields=["customer", "cycle_start"], name="alert_customer_month")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.cycle_start:%Y-%m} {self.target}"
