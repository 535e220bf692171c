"""The rate-plan simulation page: choose a month and plans, start, follow the job, read the result.

Managers (MASTER_DATA) and staff start a simulation; whoever may see the customer reads the
results of its simulations (the customer's plan_simulation jobs), a viewer without the form (a
POST of theirs is a 403). The result is the job's own (SPEC's JSON); its device table is sorted,
searched and paged here, 50 a page.
"""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telcost.accounts.access import MASTER_DATA, customer_for_user, may
from telcost.core.charts import money_chart
from telcost.core.cycles import BadCycle, cycle_start_of, recent_cycles, requested_month
from telcost.customers.models import Customer, RatePlan
from telcost.jobs.kinds import job_params
from telcost.jobs.models import Job
from telcost.jobs.selectors import job_as_dict, job_get_for_user
from telcost.usage.billing.simulation import (
    MAX_PLANS,
    PLAN_SIMULATION_KIND,
    SimulationRefused,
    plan_simulation_dispatch,
)

PAGE_SIZE = 50
RECENT = 10
# The device table's orders: (key, largest first). By device number is the default.
SORTS = {
    "msisdn": ("msisdn", False),
    "-current_cost": ("current_cost", True),
    "-best_cost": ("best_cost", True),
    "-saving": ("saving", True),
    "best_plan": ("best_plan", False),
}


def _month(request, key: str = "month") -> dt.date:
    try:
        return requested_month(request.GET.get(key, ""), month_only=True)
    except BadCycle:
        return cycle_start_of(timezone.localdate())


def _simulations(customer: Customer):
    return Job.objects.filter(kind=PLAN_SIMULATION_KIND.name, customer=customer).select_related(
        "created_by"
    )


def _shown_job(request, customer: Customer) -> Job | None:
    """The simulation asked for (?job=), or the latest that completed; None when there is none.

    A job of another customer or kind is not this page's: 404, as any object one may not see.
    """
    wanted = request.GET.get("job", "")
    if wanted:
        if not (wanted.isascii() and wanted.isdigit()):
            raise Http404("Job not found")
        job = job_get_for_user(user=request.user, job_id=int(wanted))
        if job.customer_id != customer.pk or job.kind != PLAN_SIMULATION_KIND.name:
            raise Http404("Job not found")
        return job
    return _simulations(customer).filter(status=Job.Status.COMPLETED).order_by("-pk").first()


def _saving(device: dict) -> Decimal | None:
    if device["best_cost"] is None:
        return None
    return Decimal(device["current_cost"]) - Decimal(device["best_cost"])


def _sorted_devices(devices: list[dict], sort: str) -> list[dict]:
    key, largest_first = SORTS[sort]
    if key == "msisdn":
        return sorted(devices, key=lambda d: d["msisdn"])
    if key == "best_plan":
        return sorted(
            devices, key=lambda d: (d["best_plan"] is None, d["best_plan"] or "", d["msisdn"])
        )

    def value(device: dict) -> Decimal:
        found = device["saving"] if key == "saving" else device[key]
        return Decimal(str(found)) if found is not None else Decimal("-Infinity")

    # Ties in device number order, so the pages are stable.
    by_number = sorted(devices, key=lambda d: d["msisdn"])
    return sorted(by_number, key=value, reverse=largest_first)


def _result_context(request, customer: Customer, job: Job) -> dict:
    result = job.result or {}
    month = job_params(job, PLAN_SIMULATION_KIND).cycle_start
    devices = [{**device, "saving": _saving(device)} for device in result.get("devices", [])]
    q = request.GET.get("q", "").strip()[:40]
    if q:
        devices = [device for device in devices if q in device["msisdn"]]
    sort = request.GET.get("sort", "")
    if sort not in SORTS:
        sort = "msisdn"
    devices = _sorted_devices(devices, sort)
    priced = [plan for plan in result.get("plans", []) if plan["total"] is not None]
    chart = None
    if priced:
        chart = money_chart(
            "bar",
            [_("Now"), *[plan["code"] for plan in priced]],
            [
                {
                    "label": _("Total"),
                    "data": [result["current_total"], *[plan["total"] for plan in priced]],
                }
            ],
            # Sized from its width, as the card gives it no height; flatter than the default.
            maintainAspectRatio=True,
            aspectRatio=3,
            plugins={"legend": {"display": False}},
            scales={"y": {"beginAtZero": True}},
        )
    base = {"job": job.pk}
    return {
        "result": result,
        "result_job": job,
        "result_month": month,
        "chart": chart,
        "q": q,
        "sort": sort,
        "page": Paginator(devices, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": urlencode({**base, "q": q, "sort": sort}),
        "sort_query": urlencode({**base, "q": q}),
    }


def _form_month(request, customer: Customer) -> dt.date:
    """The month the form offers first: the one asked for, or the latest calculated one."""
    if request.GET.get("month"):
        return _month(request)
    from telcost.usage.models import CycleTotals

    current = cycle_start_of(timezone.localdate())
    latest = (
        CycleTotals.objects.filter(customer=customer, cycle_start__lte=current)
        .order_by("-cycle_start")
        .values_list("cycle_start", flat=True)
        .first()
    )
    return latest or current


@login_required
def simulation_page(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    may_start = may(request.user, MASTER_DATA, customer)
    month = _form_month(request, customer)
    months = recent_cycles(13)
    if month not in months:
        months = sorted([*months, month], reverse=True)
    context = {
        "customer": customer,
        "month": month,
        "months": months,
        "may_start": may_start,
        "max_plans": MAX_PLANS,
        "simulations": [
            {
                "id": job.pk,
                "month": job_params(job, PLAN_SIMULATION_KIND).cycle_start,
                "plans": job_params(job, PLAN_SIMULATION_KIND).rate_plans,
                "status": job.status,
                "created_at": job.created_at,
                "by": job.created_by.get_username() if job.created_by_id else "",
            }
            for job in _simulations(customer).order_by("-pk")[:RECENT]
        ],
    }
    if may_start:
        context["plans"] = list(RatePlan.objects.order_by("code").values("code", "name"))
        context["current_plan"] = customer.rate_plan.code if customer.rate_plan_id else None
    job = _shown_job(request, customer)
    if job is not None and job.status == Job.Status.COMPLETED:
        context.update(_result_context(request, customer, job))
    elif job is not None:
        context["shown_job"] = job_as_dict(job)
        context["shown_month"] = job_params(job, PLAN_SIMULATION_KIND).cycle_start
    return render(request, "usage/simulation.html", context)


def _status(request, customer: Customer, job: Job, status: int = 200):
    context = {
        "customer": customer,
        "job": job_as_dict(job),
        "month": job_params(job, PLAN_SIMULATION_KIND).cycle_start,
    }
    response = render(request, "usage/_simulation_status.html", context, status=status)
    if job.status == Job.Status.COMPLETED and request.headers.get("HX-Request"):
        # Done: the page of its result (htmx follows HX-Redirect).
        target = reverse("usage:simulation", args=[customer.pk])
        response["HX-Redirect"] = f"{target}?{urlencode({'job': job.pk})}"
    return response


@login_required
@require_POST
def simulation_start(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MASTER_DATA)
    chosen = request.POST.getlist("rate_plans")
    if not chosen:
        return render(
            request,
            "usage/_simulation_status.html",
            {"error": _("Choose at least one rate plan.")},
            status=400,
        )
    try:
        month = requested_month(request.POST.get("month", ""), month_only=True)
        dispatched = plan_simulation_dispatch(
            customer=customer,
            cycle_start=month,
            rate_plans=chosen,
            user=request.user,
        )
    except BadCycle as exc:
        return render(request, "usage/_simulation_status.html", {"error": str(exc)}, status=400)
    except SimulationRefused as exc:
        return render(
            request, "usage/_simulation_status.html", {"error": str(exc)}, status=exc.status
        )
    return _status(request, customer, dispatched.job)


@login_required
def simulation_status(request, customer_id: int, job_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    job = job_get_for_user(user=request.user, job_id=job_id)
    if job.customer_id != customer.pk or job.kind != PLAN_SIMULATION_KIND.name:
        raise Http404("Job not found")
    return _status(request, customer, job)
