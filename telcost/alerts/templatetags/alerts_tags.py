"""Alerts as a page shows them: metrics, scopes and targets in words, values in the reader's
format (money in euros, data in MB/GB)."""

from django import template
from django.utils.translation import gettext as _

from telcost.alerts.mail import metric_value_text
from telcost.alerts.models import Metric, Scope

register = template.Library()


@register.filter
def metric_label(code: str) -> str:
    return str(Metric(code).label) if code in Metric.values else code


@register.filter
def metric_value(value, metric: str) -> str:
    return metric_value_text(metric, value)


@register.filter
def rule_target(rule) -> str:
    """What a rule watches: the customer, one cost center or device, or each of them."""
    if rule.scope == Scope.CUSTOMER:
        return _("Whole customer")
    if rule.scope == Scope.COST_CENTER:
        if rule.target:
            return _("Cost center %(code)s") % {"code": rule.target}
        return _("Each cost center")
    if rule.target:
        return _("Device %(msisdn)s") % {"msisdn": rule.target}
    return _("Each device")


@register.filter
def alert_target(alert) -> str:
    """What fired: the customer, or the cost center or device."""
    if not alert.target:
        return _("Whole customer")
    if alert.rule.scope == Scope.COST_CENTER:
        return _("Cost center %(code)s") % {"code": alert.target}
    return _("Device %(msisdn)s") % {"msisdn": alert.target}
