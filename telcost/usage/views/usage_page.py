"""Workflow 1's pages: the customer's Usage page ("Product Specs" in the seed) and the admin
page."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from telcost.accounts.access import EXPORT, RECALCULATE, VIEW, customer_for_user, may
from telcost.core.cycles import BadCycle, cycle_start_of, parse_month, requested_month
from telcost.customers.models import Customer
from telcost.jobs.kinds import job_params
from telcost.jobs.selectors import job_as_dict, job_get_for_user
from telcost.usage.recalculation.services import recalculation_dispatch, valid_version
from telcost.usage.recalculation.status import RECALCULATE_TOTALS_KIND
from telcost.usage.selectors import (
    cycles_with_data,
    insights_get,
    totals_get,
    totals_versions_diff,
    totals_versions_list,
)


def _customer(request, customer_id: int, right: str = VIEW) -> Customer:
    return customer_for_user(
        user=request.user,
        customer_id=customer_id,
        right=right,
        queryset=Customer.objects.select_related("rate_plan"),
    )


def _month(request, customer: Customer) -> dt.date:
    try:
        return requested_month(request.GET.get("month", ""), month_only=True)
    except BadCycle:
        # The latest month with data, but never a future one (written before months were checked).
        current = cycle_start_of(timezone.localdate())
        return next((m for m in cycles_with_data(customer=customer) if m <= current), current)


def _content_context(customer: Customer, month: dt.date) -> dict:
    return {
        "customer": customer,
        "month": month,
        "totals": totals_get(customer=customer, cycle_start=month),
        "insights": insights_get(customer=customer, cycle_start=month),
        "versions": totals_versions_list(customer=customer, cycle_start=month),
    }


@login_required
def usage_page(request, customer_id: int):
    customer = _customer(request, customer_id)
    month = _month(request, customer)
    months = cycles_with_data(customer=customer)
    if month not in months:
        months = sorted([*months, month], reverse=True)
    context = _content_context(customer, month)
    context.update(
        months=months,
        may_recalculate=may(request.user, RECALCULATE, customer),
        may_export=may(request.user, EXPORT, customer),
    )
    return render(request, "usage/usage_page.html", context)


@login_required
def usage_content(request, customer_id: int):
    customer = _customer(request, customer_id)
    return render(
        request, "usage/_usage_content.html", _content_context(customer, _month(request, customer))
    )


@login_required
@require_POST
def usage_recalculate(request, customer_id: int):
    customer = _customer(request, customer_id, RECALCULATE)
    try:
        month = requested_month(request.POST.get("month", ""))
    except BadCycle as exc:
        return render(
            request,
            "usage/_recalc_status.html",
            {"error": str(exc), "customer": customer},
            status=400,
        )
    job = recalculation_dispatch(customer=customer, cycle_start=month, user=request.user).job
    return _status(request, customer, job, month, request.POST.get("shown", ""))


@login_required
def usage_recalculate_status(request, customer_id: int, job_id: int):
    customer = _customer(request, customer_id)
    job = job_get_for_user(user=request.user, job_id=job_id)
    # Only this customer's recalculations have a month to show; any other job is not this page's.
    if job.customer_id != customer.pk or job.kind != RECALCULATE_TOTALS_KIND.name:
        raise Http404
    month = job_params(job, RECALCULATE_TOTALS_KIND).cycle_start
    return _status(request, customer, job, month, request.GET.get("shown", ""))


def _status(request, customer: Customer, job, month: dt.date, shown: str):
    """The live status; when done it refreshes the totals only if they are the month on screen."""
    try:
        shown_month = parse_month(shown)
    except BadCycle:
        shown_month = month
    context = {
        "job": job_as_dict(job),
        "customer": customer,
        "month": month,
        "shown": shown_month,
        "refresh": shown_month == month,
    }
    return render(request, "usage/_recalc_status.html", context)


@login_required
def usage_versions_diff(request, customer_id: int):
    customer = _customer(request, customer_id)
    month = _month(request, customer)
    try:
        a, b = int(request.GET.get("a", "")), int(request.GET.get("b", ""))
    except ValueError:
        return render(request, "usage/_versions_diff.html", {"error": "Choose two versions."})
    if not (valid_version(a) and valid_version(b)):
        return render(request, "usage/_versions_diff.html", {"changes": None})
    changes = totals_versions_diff(customer=customer, cycle_start=month, version_a=a, version_b=b)
    return render(request, "usage/_versions_diff.html", {"changes": changes, "a": a, "b": b})
