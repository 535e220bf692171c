"""Admin → Rate plans: the plans, a plan's versions and customers, and the editor of a new version.

Staff read and edit every plan; a manager reads the plans of its customers (and its partner's),
without the editor; anyone else is refused (a plan of a customer they may view: 403; any other
plan: 404, the same text as one that does not exist).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from telcost.accounts.access import (
    READ_RATE_PLAN,
    customers_for,
    rate_plan_for_user,
    rate_plans_for,
    require_staff,
)
from telcost.core.cycles import cycle_start_of, next_cycle
from telcost.customers.forms import (
    NEW_PLAN_INITIAL,
    RatePlanNewForm,
    RatePlanVersionForm,
    initial_of,
)
from telcost.customers.models import RatePlan
from telcost.customers.selectors import rate_plan_current_version, rate_plan_latest_version
from telcost.customers.services import (
    CustomerInputError,
    rate_plan_create,
    rate_plan_version_add,
)

# Tables of more than 50 rows are paged (SPEC part 2).
PAGE_SIZE = 50


def _require_reader(user) -> None:
    """The list is for staff and managers: a viewer (or a user of no customer) is refused."""
    if not user.is_staff and not customers_for(user, READ_RATE_PLAN).exists():
        raise PermissionDenied


@login_required
def rate_plans_page(request):
    _require_reader(request.user)
    visible_customers = customers_for(request.user).values("pk")
    plans = Paginator(
        rate_plans_for(request.user)
        .order_by("code")
        .annotate(version_count=Count("versions", distinct=True)),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    for plan in plans.object_list:
        plan.current = rate_plan_current_version(plan.pk)
        plan.customer_count = plan.customers.filter(pk__in=visible_customers).count()
    return render(request, "customers/rate_plans.html", {"page": plans})


@login_required
def rate_plan_page(request, code: str):
    plan = rate_plan_for_user(user=request.user, code=code)
    current = rate_plan_current_version(plan.pk)
    versions = list(plan.versions.order_by("-valid_from"))
    for version in versions:
        version.is_current = current is not None and version.pk == current.pk
    customers = Paginator(
        plan.customers.filter(pk__in=customers_for(request.user).values("pk"))
        .select_related("partner")
        .order_by("name", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/rate_plan.html",
        {"plan": plan, "versions": versions, "customers": customers},
    )


def _suggested_month(plan: RatePlan) -> dt.date:
    """Next month, or the month after the latest version when that lies further ahead."""
    latest = rate_plan_latest_version(plan.pk)
    month = next_cycle(cycle_start_of(timezone.localdate()))
    if latest is not None and latest.valid_from >= month:
        month = next_cycle(latest.valid_from)
    return month


@login_required
def rate_plan_version_new(request, code: str):
    """GET: the editor, prefilled from the latest version. POST: add the version, or show the
    form again with each error next to its field (nothing saved)."""
    plan = rate_plan_for_user(user=request.user, code=code)
    require_staff(request.user)
    latest = rate_plan_latest_version(plan.pk)
    if request.method == "POST":
        form = RatePlanVersionForm(request.POST, code=plan.code)
        if form.is_valid():
            try:
                version = rate_plan_version_add(
                    rate_plan=plan,
                    valid_from=form.cleaned_data["valid_from"],
                    definition=form.document(),
                )
            except CustomerInputError as exc:
                if exc.status == 409:
                    form.add_error("valid_from", _("This plan already has a version from then."))
                else:
                    form.refuse(str(exc))
            else:
                messages.success(
                    request,
                    _("The new version is saved. It applies to a month once it is recalculated."),
                )
                return _saved(request, plan.code, version.valid_from)
        return _editor_again(request, {"plan": plan, "form": form})
    initial = initial_of(latest.definition if latest else {}, _suggested_month(plan))
    form = RatePlanVersionForm(initial=initial, code=plan.code)
    return render(
        request,
        "customers/rate_plan_editor.html",
        {"plan": plan, "form": form, "latest": latest},
    )


@login_required
def rate_plan_new(request):
    """Staff: a new plan, its first version from the month given (2000-01: every month)."""
    require_staff(request.user)
    if request.method == "POST":
        form = RatePlanNewForm(request.POST)
        if form.is_valid():
            try:
                plan = rate_plan_create(
                    definition=form.document(), valid_from=form.cleaned_data["valid_from"]
                )
            except CustomerInputError as exc:
                if exc.status == 409:
                    form.add_error("code", _("A rate plan with this code exists."))
                else:
                    form.refuse(str(exc))
            else:
                messages.success(request, _("The rate plan is saved."))
                return _saved(request, plan.code, form.cleaned_data["valid_from"])
        return _editor_again(request, {"form": form, "creating": True})
    form = RatePlanNewForm(initial=NEW_PLAN_INITIAL)
    return render(request, "customers/rate_plan_editor.html", {"form": form, "creating": True})


def _saved(request, code: str, valid_from: dt.date):
    """To the plan's page, at the version just saved (htmx follows HX-Redirect)."""
    target = reverse("customers:rate_plan", args=[code]) + f"#version-{valid_from:%Y-%m}"
    if request.headers.get("HX-Request"):
        response = HttpResponse()
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def _editor_again(request, context: dict):
    """The form with its errors, nothing saved: the fragment for htmx, else the whole page."""
    template = (
        "customers/_rate_plan_editor.html"
        if request.headers.get("HX-Request")
        else "customers/rate_plan_editor.html"
    )
    return render(request, template, context, status=400)
