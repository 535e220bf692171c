"""Cost control's pages: a month's reconciliation and its chargeback per cost center."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from telcost.accounts.access import EXPORT, customer_for_user, may
from telcost.core.cycles import BadCycle, cycle_start_of, recent_cycles, requested_month
from telcost.customers.models import Customer
from telcost.usage.billing.chargeback import chargeback_get
from telcost.usage.billing.reconciliation import reconciles, reconciliation_get
from telcost.usage.templatetags.cost_control import chargeback_chart

PAGE_SIZE = 50


def _month(request) -> dt.date:
    try:
        return requested_month(request.GET.get("month", ""), month_only=True)
    except BadCycle:
        return cycle_start_of(timezone.localdate())


def _context(request, customer: Customer, month: dt.date) -> dict:
    months = recent_cycles(13)
    if month not in months:
        months = sorted([*months, month], reverse=True)
    return {
        "customer": customer,
        "month": month,
        "months": months,
        "may_export": may(request.user, EXPORT, customer),
    }


@login_required
def reconciliation_page(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    month = _month(request)
    context = _context(request, customer, month)
    if not reconciles(customer):
        context["not_rated"] = True
        return render(request, "usage/reconciliation.html", context)
    reconciliation = reconciliation_get(customer=customer, cycle_start=month)
    q = request.GET.get("q", "").strip()[:40]
    devices = (reconciliation or {}).get("devices", [])
    if q:
        devices = [device for device in devices if q in device["msisdn"]]
    context.update(
        reconciliation=reconciliation,
        q=q,
        page=Paginator(devices, PAGE_SIZE).get_page(request.GET.get("page")),
        query=urlencode({"month": f"{month:%Y-%m}", "q": q}),
    )
    return render(request, "usage/reconciliation.html", context)


@login_required
def chargeback_page(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    month = _month(request)
    context = _context(request, customer, month)
    chargeback = chargeback_get(customer=customer, cycle_start=month)
    context.update(
        chargeback=chargeback, chart=chargeback_chart(chargeback) if chargeback else None
    )
    return render(request, "usage/chargeback.html", context)
