"""Alert rules and fired alerts (SPEC part 2 "Cost control" → "Alerts").

POST/GET /api/customers/{id}/alert-rules, GET/PATCH/DELETE /api/alert-rules/{id},
GET /api/customers/{id}/alerts?month=. Rules are written by staff and the managers of the customer
or its partner (MASTER_DATA, as cost centers); viewers read.
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.access import MASTER_DATA, customer_for_user
from telcost.alerts.models import Language, Metric, Scope
from telcost.alerts.selectors import (
    alert_as_dict,
    alert_rule_as_dict,
    alert_rule_for_user,
    alert_rules_of,
    alerts_of,
)
from telcost.alerts.services import (
    MAX_RECIPIENTS,
    AlertRuleInputError,
    alert_rule_create,
    alert_rule_delete,
    alert_rule_update,
)
from telcost.core.api_schemas import CreatedId, Money, Month, Out, answers
from telcost.core.cycles import BadCycle, requested_month
from telcost.core.paging import PageQuery, paged

router = Router(tags=["alerts"])

MetricName = Literal[tuple(Metric.values)]
ScopeName = Literal[tuple(Scope.values)]
LanguageName = Literal[tuple(Language.values)]
Email = str
# The service allows MAX_RECIPIENTS; the schema refuses absurd lists before anything is read.
Recipients = list[Email]


class AlertRuleIn(Schema):
    name: str = Field(max_length=200)
    metric: MetricName
    scope: ScopeName
    target: str | None = Field(
        default=None,
        max_length=64,
        description="a cost center code (scope cost_center) or msisdn (scope device) of this "
        "customer; null for the customer, and for a cost_center or device rule that watches each "
        "cost center or each device (each one over the threshold fires on its own)",
    )
    threshold: Decimal = Field(description="fires when the month's value is greater; >= 0")
    recipients: Recipients = Field(max_length=4 * MAX_RECIPIENTS)
    language: LanguageName = Field(default="nl", description="the language of the mail")
    active: bool = True


class AlertRulePatch(Schema):
    name: str | None = Field(default=None, max_length=200)
    metric: MetricName | None = None
    scope: ScopeName | None = None
    target: str | None = Field(default=None, max_length=64)
    threshold: Decimal | None = None
    recipients: Recipients | None = Field(default=None, max_length=4 * MAX_RECIPIENTS)
    language: LanguageName | None = None
    active: bool | None = None


class AlertRuleOut(Out):
    id: int
    customer_id: int
    name: str
    metric: MetricName
    scope: ScopeName
    target: str | None
    threshold: Money
    recipients: list[str]
    language: LanguageName
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class AlertRulePage(Out):
    count: int
    page: int
    page_size: int
    items: list[AlertRuleOut]


class AlertOut(Out):
    id: int
    rule_id: int
    cycle_start: dt.date
    target: str = Field(description='"" for a rule on the whole customer')
    value: Money
    threshold: Money = Field(description="the rule's threshold when it fired")
    fired_at: dt.datetime


class AlertPage(Out):
    count: int
    page: int
    page_size: int
    items: list[AlertOut]


class AlertsQuery(PageQuery):
    month: Month | None = None


def _refused(exc: AlertRuleInputError) -> HttpError:
    return HttpError(exc.status, str(exc))


@router.post(
    "/api/customers/{customer_id}/alert-rules", response=answers({201: CreatedId}, 403, 404)
)
def create_alert_rule(request, customer_id: int, payload: AlertRuleIn):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MASTER_DATA)
    try:
        rule = alert_rule_create(customer=customer, user=request.user, **payload.dict())
    except AlertRuleInputError as exc:
        raise _refused(exc) from None
    return Status(201, {"id": rule.pk})


@router.get("/api/customers/{customer_id}/alert-rules", response=answers({200: AlertRulePage}, 404))
def list_alert_rules(request, customer_id: int, query: Query[PageQuery]):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    page = paged(alert_rules_of(customer), page=query.page, page_size=query.page_size)
    return {**page, "items": [alert_rule_as_dict(rule) for rule in page["items"]]}


@router.get("/api/alert-rules/{rule_id}", response=answers({200: AlertRuleOut}, 404))
def get_alert_rule(request, rule_id: int):
    return alert_rule_as_dict(alert_rule_for_user(user=request.user, rule_id=rule_id))


@router.patch("/api/alert-rules/{rule_id}", response=answers({200: AlertRuleOut}, 403, 404))
def update_alert_rule(request, rule_id: int, payload: AlertRulePatch):
    rule = alert_rule_for_user(user=request.user, rule_id=rule_id, right=MASTER_DATA)
    given = payload.dict(exclude_unset=True)
    nulls = sorted(name for name, value in given.items() if value is None and name != "target")
    if nulls:
        raise HttpError(400, "; ".join(f"{name}: may not be null" for name in nulls))
    try:
        rule = alert_rule_update(rule=rule, **given)
    except AlertRuleInputError as exc:
        raise _refused(exc) from None
    return alert_rule_as_dict(rule)


@router.delete("/api/alert-rules/{rule_id}", response=answers({204: None}, 403, 404))
def delete_alert_rule(request, rule_id: int):
    rule = alert_rule_for_user(user=request.user, rule_id=rule_id, right=MASTER_DATA)
    alert_rule_delete(rule=rule)
    return Status(204, None)


@router.get(
    "/api/customers/{customer_id}/alerts",
    response=answers({200: AlertPage}, 404),
    description="The fired alerts, of one month (?month=YYYY-MM) or of every month (newest first).",
)
def list_alerts(request, customer_id: int, query: Query[AlertsQuery]):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    cycle_start = None
    if query.month is not None:
        try:
            cycle_start = requested_month(query.month, month_only=True)
        except BadCycle as exc:
            raise HttpError(400, f"month: {exc}") from None
    page = paged(alerts_of(customer, cycle_start), page=query.page, page_size=query.page_size)
    return {**page, "items": [alert_as_dict(alert) for alert in page["items"]]}
