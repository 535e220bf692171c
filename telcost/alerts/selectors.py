"""Reads of the alerts app: a customer's rules, a month's fired alerts, counts for overviews."""

import datetime as dt

from django.db.models import Count, QuerySet

from telcost.accounts.access import VIEW, require_right
from telcost.alerts.models import Alert, AlertRule

RULE_NOT_FOUND = "Alert rule not found"


def alert_rules_of(customer) -> QuerySet[AlertRule]:
    """The customer's rules that are not deleted, by name."""
    return AlertRule.objects.live().filter(customer=customer).order_by("name", "pk")


def alert_rule_for_user(*, user, rule_id: int, right: str = VIEW) -> AlertRule:
    """A rule under its customer's policy: 404 (one text) for a deleted rule or one of a customer
    the user may not see, 403 without `right`."""
    rule = AlertRule.objects.live().select_related("customer").filter(pk=rule_id).first()
    require_right(
        user=user,
        customer=rule.customer if rule else None,
        right=right,
        not_found=RULE_NOT_FOUND,
    )
    return rule


def alerts_of(customer, cycle_start: dt.date | None = None) -> QuerySet[Alert]:
    """The customer's fired alerts (of one month, if given), newest month first."""
    alerts = Alert.objects.filter(customer=customer).select_related("rule")
    if cycle_start is not None:
        alerts = alerts.filter(cycle_start=cycle_start)
    return alerts.order_by("-cycle_start", "rule__name", "rule_id", "target")


def alert_counts(*, customer_ids: list[int], cycle_start: dt.date) -> dict[int, int]:
    """{customer id: how many alerts fired in the month}, customers without any left out."""
    return dict(
        Alert.objects.filter(customer_id__in=customer_ids, cycle_start=cycle_start)
        .values_list("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )


def alert_as_dict(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "rule_id": alert.rule_id,
        "cycle_start": alert.cycle_start,
        "target": alert.target,
        "value": f"{alert.value:.4f}",
        "threshold": f"{alert.threshold:.4f}",
        "fired_at": alert.fired_at,
    }


def alert_rule_as_dict(rule: AlertRule) -> dict:
    return {
        "id": rule.pk,
        "customer_id": rule.customer_id,
        "name": rule.name,
        "metric": rule.metric,
        "scope": rule.scope,
        "target": rule.target or None,
        "threshold": f"{rule.threshold:.4f}",
        "recipients": rule.recipients,
        "language": rule.language,
        "active": rule.active,
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }
