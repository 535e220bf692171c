"""Cost control's pages: a month's reconciliation and its chargeback per cost center."""

import datetime as dt
from decimal import Decimal
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
# The device table's orders: field, largest first? The API's own order (difference, largest
# first, then device number) is the default.
SORTS = {
    "-difference": ("difference", True),
    "msisdn": ("msisdn", False),
    "-provider_cost": ("provider_cost", True),
    "-overcharged_records": ("overcharged_records", True),
}


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
    sort = request.GET.get("sort", "")
    if sort in SORTS and sort != "-difference":
        key, largest_first = SORTS[sort]
        number = key != "msisdn"  # money as Decimal text, counts as int: compare as numbers
        devices = sorted(
            devices,
            key=lambda device: Decimal(str(device[key])) if number else device[key],
            reverse=largest_first,
        )
    else:
        sort = "-difference"
    context.update(
        reconciliation=reconciliation,
        q=q,
        sort=sort,
        page=Paginator(devices, PAGE_SIZE).get_page(request.GET.get("page")),
        query=urlencode({"month": f"{month:%Y-%m}", "q": q, "sort": sort}),
        sort_query=urlencode({"month": f"{month:%Y-%m}", "q": q}),
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
