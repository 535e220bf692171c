"""Monthly reports: who receives which customer's summary of last month, on which day."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# 28 at most: every month has that day, so a report is never skipped in February and never
# moves within a month.
LAST_DAY = 28


class ReportSubscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    day_of_month = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(LAST_DAY)]
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    active = models.BooleanField(default=True)
    # The last month reported (its first day): set when the timer claims the month, so a month
    # is reported once however many workers run the timer.
    last_sent_cycle = models.DateField(null=True, blank=True)
    # The job that reports it (its steps, its failure if any).
    last_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "customer"], name="report_subscription_once"),
            models.CheckConstraint(
                condition=models.Q(day_of_month__gte=1, day_of_month__lte=LAST_DAY),
                name="report_subscription_day",
            ),
        ]
        ordering = ["customer__name", "pk"]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.customer_id} (day {self.day_of_month})"
