"""Writes of the alerts app: the rules (create, change, delete) and the firing of alerts.

Rules are checked here, for the API and the pages alike: a refusal is an AlertRuleInputError with
a message per field, in the active language, and nothing is written. Rule writes reach the audit
log through its signals (audit/services.py AUDITED); a deleted rule is kept as a row (deleted_at)
so its fired alerts keep their rule, and its entry is written by audit_soft_deleted.

Firing (alerts_fire, called by EvaluateAlertsCommand at the end of every recalculation): each rule
over its threshold gets its Alert by get-or-create on (rule, month, target) and queues its mail
with the outbox in the same transaction, so an alert and its one mail are written together or not
at all, and a step that runs again (or a second recalculation) finds the alert and mails nothing.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from telcost.alerts.mail import alert_mail
from telcost.alerts.models import Alert, AlertRule, Language, Metric, Scope
from telcost.audit.services import audit_soft_deleted
from telcost.core.cdr_format import msisdn_valid
from telcost.customers.models import CostCenter, Customer, Device
from telcost.outbox.services import mail_queue

MAX_RECIPIENTS = 20
FOUR_PLACES = Decimal("0.0001")
MAX_THRESHOLD = Decimal("9999999999.9999")  # what the column (14 digits, 4 places) holds
FIELDS = ("name", "metric", "scope", "target", "threshold", "recipients", "language", "active")


class AlertRuleInputError(ValueError):
    """A refused rule: {field: message}; the API answers 400 with them joined."""

    status = 400

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


def _name(value, errors: dict) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        errors["name"] = _("a rule needs a name")
    elif len(name) > AlertRule._meta.get_field("name").max_length:
        errors["name"] = _("at most 200 characters")
    return name


def _choice(field: str, value, choices, errors: dict) -> str:
    if value not in choices.values:
        errors[field] = _("must be one of %(choices)s") % {"choices": ", ".join(choices.values)}
    return value


def _threshold(value, errors: dict) -> Decimal | None:
    try:
        number = Decimal(str(value).strip()) if value is not None and value != "" else None
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or isinstance(value, bool):
        errors["threshold"] = _("must be a number, such as 250 or 12.50")
        return None
    if number < 0:
        errors["threshold"] = _("may not be negative")
    elif number > MAX_THRESHOLD:
        errors["threshold"] = _("at most %(max)s") % {"max": MAX_THRESHOLD}
    elif number != number.quantize(FOUR_PLACES):
        errors["threshold"] = _("at most 4 decimals")
    else:
        return number.quantize(FOUR_PLACES)  # as the column stores it (and the audit shows it)
    return number


def _recipients(value, errors: dict) -> list[str]:
    if isinstance(value, str):  # the page's field: one per line or separated by commas
        value = value.replace(",", "\n").replace(";", "\n").split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors["recipients"] = _("must be a list of email addresses")
        return []
    addresses = list({v.strip().lower(): v.strip() for v in value if v.strip()}.values())
    if not addresses:
        errors["recipients"] = _("give at least one email address")
    elif len(addresses) > MAX_RECIPIENTS:
        errors["recipients"] = _("at most %(count)s addresses") % {"count": MAX_RECIPIENTS}
    else:
        bad = []
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            errors["recipients"] = _("not an email address: %(addresses)s") % {
                "addresses": ", ".join(bad)
            }
    return addresses


def _target(customer: Customer, scope: str, value, errors: dict) -> str:
    """A cost center code or msisdn of this customer; "": the customer, or each cost center or
    each device."""
    target = value.strip() if isinstance(value, str) else value
    if target in (None, ""):
        return ""
    if not isinstance(target, str):
        errors["target"] = _("must be a cost center code or a device number")
        return ""
    if scope == Scope.CUSTOMER:
        errors["target"] = _("a rule on the whole customer has no target")
    elif scope == Scope.COST_CENTER:
        if not CostCenter.objects.filter(customer=customer, code=target).exists():
            errors["target"] = _("%(code)s is not a cost center of this customer") % {
                "code": target[:64]
            }
    elif scope == Scope.DEVICE:
        if (
            not msisdn_valid(target)
            or not Device.objects.filter(customer=customer, msisdn=target).exists()
        ):
            errors["target"] = _("%(msisdn)s is not a device of this customer") % {
                "msisdn": target[:20]
            }
    return target


def _checked(customer: Customer, given: dict) -> dict:
    """The rule's fields from `given` (all of FIELDS), checked together; AlertRuleInputError."""
    errors: dict[str, str] = {}
    checked = {
        "name": _name(given["name"], errors),
        "metric": _choice("metric", given["metric"], Metric, errors),
        "scope": _choice("scope", given["scope"], Scope, errors),
        "threshold": _threshold(given["threshold"], errors),
        "recipients": _recipients(given["recipients"], errors),
        "language": _choice("language", given["language"], Language, errors),
        "active": given["active"],
    }
    if not isinstance(checked["active"], bool):
        errors["active"] = _("must be true or false")
    if "scope" not in errors:
        checked["target"] = _target(customer, given["scope"], given["target"], errors)
    if errors:
        raise AlertRuleInputError(errors)
    return checked


@transaction.atomic
def alert_rule_create(
    *,
    customer: Customer,
    user=None,
    name: str,
    metric: str,
    scope: str,
    target: str | None = None,
    threshold,
    recipients,
    language: str = Language.NL,
    active: bool = True,
) -> AlertRule:
    fields = _checked(
        customer,
        {
            "name": name,
            "metric": metric,
            "scope": scope,
            "target": target,
            "threshold": threshold,
            "recipients": recipients,
            "language": language,
            "active": active,
        },
    )
    created_by = user if getattr(user, "is_authenticated", False) else None
    return AlertRule.objects.create(customer=customer, created_by=created_by, **fields)


@transaction.atomic
def alert_rule_update(*, rule: AlertRule, **changes) -> AlertRule:
    """Change some fields; the others keep their values and the whole rule is checked again.

    A changed threshold applies from the next evaluation; alerts already fired keep the threshold
    they fired at. A rule fires once per month and target, whatever it is changed into.
    """
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise AlertRuleInputError({name: _("unknown field") for name in sorted(unknown)})
    rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
    given = {field: changes.get(field, getattr(rule, field)) for field in FIELDS}
    if "scope" in changes and "target" not in changes and changes["scope"] != rule.scope:
        given["target"] = ""  # a target of another scope names nothing in the new one
    for field, value in _checked(rule.customer, given).items():
        setattr(rule, field, value)
    rule.save()
    return rule


@transaction.atomic
def alert_rule_delete(*, rule: AlertRule) -> None:
    """The rule stops firing and disappears from every list; its fired alerts stay (they fired)."""
    marked = AlertRule.objects.filter(pk=rule.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), active=False
    )
    if marked:
        audit_soft_deleted(rule)


@dataclass(frozen=True)
class Firing:
    """A rule whose value for a target is over its threshold."""

    rule: AlertRule
    target: str  # "" for the customer
    value: Decimal


def alerts_fire(*, customer: Customer, cycle_start: dt.date, firings: list[Firing]) -> int:
    """Each firing's alert and mail, once per (rule, month, target); returns how many are new."""
    new = 0
    with transaction.atomic():
        for firing in firings:
            try:
                with transaction.atomic():
                    alert, created = Alert.objects.get_or_create(
                        rule=firing.rule,
                        cycle_start=cycle_start,
                        target=firing.target,
                        defaults={
                            "customer": customer,
                            "value": firing.value,
                            "threshold": firing.rule.threshold,
                        },
                    )
            except IntegrityError:  # fired meanwhile by another run: that one mails
                continue
            if not created:
                continue
            new += 1
            subject, body = alert_mail(alert=alert, rule=firing.rule, customer=customer)
            mail_queue(
                key=f"alert:{alert.pk}", to=firing.rule.recipients, subject=subject, body=body
            )
    return new
