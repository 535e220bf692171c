"""Customer menu → Alerts ("Meldingen"): the month's fired alerts and the customer's rules.

Everyone who may see the customer reads both; staff and the managers of the customer or its
partner (MASTER_DATA, as for cost centers) create, change and delete rules. A form's refusal is
shown beside its fields (the page again, 400); a write answers with a redirect and a message
(post/redirect/get), so a reload never sends it again.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telcost.accounts.access import MASTER_DATA, customer_for_user, may
from telcost.alerts.forms import AlertRuleForm, initial_of
from telcost.alerts.models import AlertRule, Language
from telcost.alerts.selectors import (
    RULE_NOT_FOUND,
    alert_rule_for_user,
    alert_rules_of,
    alerts_of,
)
from telcost.alerts.services import (
    AlertRuleInputError,
    alert_rule_create,
    alert_rule_delete,
    alert_rule_update,
)
from telcost.core.cycles import BadCycle, cycle_start_of, recent_cycles, requested_month
from telcost.customers.models import CostCenter, Customer

PAGE_SIZE = 50


def _month(request) -> dt.date:
    try:
        return requested_month(request.GET.get("month", ""), month_only=True)
    except BadCycle:
        return cycle_start_of(timezone.localdate())


def _page_url(customer_id: int, month: dt.date | None = None) -> str:
    url = reverse("alerts:page", args=[customer_id])
    return f"{url}?{urlencode({'month': f'{month:%Y-%m}'})}" if month else url


def _new_form() -> AlertRuleForm:
    language = (translation.get_language() or "nl").split("-")[0]
    return AlertRuleForm(
        initial={
            "language": language if language in Language.values else Language.NL,
            "active": True,
        }
    )


def _refused(form: AlertRuleForm, exc: AlertRuleInputError) -> None:
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


def _render(request, customer: Customer, form: AlertRuleForm, status: int = 200):
    month = _month(request)
    months = recent_cycles(13)
    if month not in months:
        months = sorted([*months, month], reverse=True)
    alerts = Paginator(alerts_of(customer, month), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "alerts/alerts.html",
        {
            "customer": customer,
            "month": month,
            "months": months,
            "alerts": alerts,
            "rules": alert_rules_of(customer),
            "may_edit": may(request.user, MASTER_DATA, customer),
            "form": form,
            "cost_center_codes": CostCenter.objects.filter(customer=customer)
            .order_by("code")
            .values_list("code", flat=True),
        },
        status=status,
    )


@login_required
def alerts_page(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    return _render(request, customer, _new_form())


@login_required
@require_POST
def alert_rule_add(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MASTER_DATA)
    form = AlertRuleForm(request.POST)
    if form.is_valid():
        try:
            rule = alert_rule_create(customer=customer, user=request.user, **form.rule_fields())
        except AlertRuleInputError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Alert rule “%(name)s” created.") % {"name": rule.name})
            return redirect(_page_url(customer.pk, _month(request)))
    return _render(request, customer, form, status=400)


def _rule(request, customer_id: int, rule_id: int) -> AlertRule:
    rule = alert_rule_for_user(user=request.user, rule_id=rule_id, right=MASTER_DATA)
    if rule.customer_id != customer_id:  # another customer's rule under this customer's URL
        raise Http404(RULE_NOT_FOUND)
    return rule


@login_required
def alert_rule_edit(request, customer_id: int, rule_id: int):
    rule = _rule(request, customer_id, rule_id)
    status = 200
    if request.method == "POST":
        form = AlertRuleForm(request.POST)
        if form.is_valid():
            try:
                alert_rule_update(rule=rule, **form.rule_fields())
            except AlertRuleInputError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("Alert rule “%(name)s” saved.") % {"name": rule.name})
                return redirect(_page_url(customer_id, _month(request)))
        status = 400
    else:
        form = AlertRuleForm(initial=initial_of(rule))
    return render(
        request,
        "alerts/rule_edit.html",
        {
            "customer": rule.customer,
            "rule": rule,
            "month": _month(request) if request.GET.get("month") else None,
            "form": form,
            "cost_center_codes": CostCenter.objects.filter(customer=rule.customer)
            .order_by("code")
            .values_list("code", flat=True),
        },
        status=status,
    )


@login_required
@require_POST
def alert_rule_remove(request, customer_id: int, rule_id: int):
    rule = _rule(request, customer_id, rule_id)
    alert_rule_delete(rule=rule)
    messages.success(request, _("Alert rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect(_page_url(customer_id, _month(request)))
