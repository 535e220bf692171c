"""Admin → Syncs → Recalculate Totals: one customer-month (workflow 1) or a range (workflow 6)."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import render
from django.utils import timezone

from telcost.accounts.access import RECALCULATE, admin_menu_visible, customers_for
from telcost.core.cycles import BadCycle, cycle_start_of, requested_month
from telcost.customers.models import Customer
from telcost.jobs.selectors import job_as_dict
from telcost.usage.recalculation.partner import BadRange, partner_recalculation_dispatch
from telcost.usage.recalculation.services import recalculation_dispatch


def recalculable_customers(user) -> list[Customer]:
    """Customers the user may RECALCULATE, each with `has_children` (a range recalculates a partner
    and its customers), in one query: no children query per customer in the dropdown."""
    children = Customer.objects.filter(partner_id=OuterRef("pk"))
    return list(
        customers_for(user, RECALCULATE)
        .annotate(has_children=Exists(children))
        .order_by("name", "pk")
    )


def _dispatch(request, customers: list[Customer]):
    """Validate the posted form and dispatch; returns (job, error)."""
    by_id = {str(c.pk): c for c in customers}
    customer = by_id.get(request.POST.get("customer_id", ""))
    if customer is None:
        return None, "Choose a customer you may recalculate."
    try:
        start = requested_month(request.POST.get("start_date", ""))
        end_text = request.POST.get("end_date", "").strip()
        end = requested_month(end_text) if end_text else start
    except BadCycle as exc:
        return None, str(exc)
    if start == end and not customer.has_children:
        return recalculation_dispatch(
            customer=customer, cycle_start=start, user=request.user, reason="admin"
        ).job, None
    try:
        return partner_recalculation_dispatch(
            customer=customer, start_date=start, end_date=end, user=request.user
        ).job, None
    except BadRange as exc:
        return None, str(exc)


@login_required
def admin_recalculate(request):
    if not admin_menu_visible(request.user):
        raise PermissionDenied
    customers = recalculable_customers(request.user)
    if request.method == "POST":
        job, error = _dispatch(request, customers)
        if error:
            return render(request, "usage/_admin_recalc_error.html", {"error": error}, status=400)
        return render(request, "jobs/_job_status.html", {"job": job_as_dict(job), "actions": True})
    this_month = cycle_start_of(timezone.localdate())
    return render(
        request,
        "usage/admin_recalculate.html",
        {"customers": customers, "default_month": this_month, "min_month": dt.date(2000, 1, 1)},
    )
