"""The mail of a fired alert, in the rule's language: subject "telcost alert: <rule name>" (the
same in every language, so mail filters can match it), a body with the customer, the month, the
target, the metric in words, and the value and threshold as that language writes them."""

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from telcost.alerts.models import MONEY_METRICS, Alert, AlertRule, Metric, Scope
from telcost.core.formatting import KB_PER_MB, money_text, number_style, volume_text
from telcost.customers.models import CostCenter, Customer, Device


def alert_subject(rule: AlertRule) -> str:
    return f"telcost alert: {rule.name}"


def metric_value_text(metric: str, value, language: str | None = None) -> str:
    """A metric's value (or threshold) as the language writes it: money in euros, data in MB/GB."""
    style = number_style(language)
    if metric in MONEY_METRICS:
        return money_text(value, style)
    return volume_text(value * KB_PER_MB, style)


def target_text(rule: AlertRule, target: str, customer: Customer) -> str:
    """What fired, in words of the active language."""
    if rule.scope == Scope.CUSTOMER:
        return _("the whole customer")
    if rule.scope == Scope.COST_CENTER:
        name = (
            CostCenter.objects.filter(customer=customer, code=target)
            .values_list("name", flat=True)
            .first()
        )
        shown = f"{target} ({name})" if name else target
        return _("cost center %(name)s") % {"name": shown}
    label = (
        Device.objects.filter(customer=customer, msisdn=target)
        .values_list("label", flat=True)
        .first()
    )
    shown = f"{target} ({label})" if label else target
    return _("device %(name)s") % {"name": shown}


def alert_mail(*, alert: Alert, rule: AlertRule, customer: Customer) -> tuple[str, str]:
    """(subject, body) of the alert's one mail."""
    with translation.override(rule.language):
        month = formats.date_format(alert.cycle_start, "YEAR_MONTH_FORMAT")
        link = (
            f"{settings.TELCOST_BASE_URL}/customers/{customer.pk}/alerts/"
            f"?month={alert.cycle_start:%Y-%m}"
        )
        lines = [
            _("The alert rule “%(rule)s” fired.") % {"rule": rule.name},
            "",
            f"{_('Customer')}: {customer.name}",
            f"{_('Month')}: {month}",
            f"{_('Target')}: {target_text(rule, alert.target, customer)}",
            f"{_('Metric')}: {Metric(rule.metric).label}",
            f"{_('Value')}: {metric_value_text(rule.metric, alert.value, rule.language)}",
            f"{_('Threshold')}: {metric_value_text(rule.metric, alert.threshold, rule.language)}",
            "",
            _(
                "A rule fires once per month and target: a recalculation of this month does not "
                "send this mail again."
            ),
            _("The month's alerts: %(link)s") % {"link": link},
        ]
    return alert_subject(rule), "\n".join(lines) + "\n"
