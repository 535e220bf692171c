"""The usage page's "cost per cost center" section, computed where it is shown.

An inclusion tag, so the usage page includes the section at one line and its view needs no
change: the section reads the chargeback of the month on screen itself.
"""

from django import template
from django.utils.translation import gettext

from telcost.core.charts import money_chart
from telcost.usage.billing.chargeback import chargeback_get

register = template.Library()


def chargeback_chart(chargeback: dict) -> dict:
    """A Chart.js config (the charts convention: charts.js draws it): a stacked bar per cost
    center and unassigned, by usage type and subscriptions. The values are the API's decimal
    strings; Chart.js reads them as numbers."""
    rows = [*chargeback["cost_centers"], chargeback["unassigned"]]
    labels = [row.get("code") or gettext("Unassigned") for row in rows]
    series = [
        (gettext("Voice"), [row["by_type"]["voice"] for row in rows]),
        ("SMS", [row["by_type"]["sms"] for row in rows]),
        (gettext("Data"), [row["by_type"]["data"] for row in rows]),
        (gettext("Subscriptions"), [row["subscription_cost"] for row in rows]),
    ]
    return money_chart(
        "bar",
        labels,
        [{"label": label, "data": data} for label, data in series],
        # The chart sizes itself from its width, as the page's card gives it no height.
        maintainAspectRatio=True,
        scales={"x": {"stacked": True}, "y": {"stacked": True, "beginAtZero": True}},
    )


@register.inclusion_tag("usage/_cost_centers_table.html")
def cost_centers_section(customer, month):
    chargeback = chargeback_get(customer=customer, cycle_start=month)
    return {
        "customer": customer,
        "month": month,
        "chargeback": chargeback,
        "chart": chargeback_chart(chargeback) if chargeback else None,
    }
