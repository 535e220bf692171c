"""Pages of the customers app.

Customer menu → Cost centers: the customer's cost centers, their devices now, dated assignments.
Viewers read; staff and the managers of the customer or its partner (MASTER_DATA) create, rename,
delete and assign. Every write goes through customers/services.py; the page answers a form with a
redirect and a message (post/redirect/get), so a reload never sends it again.

Admin → Rate plans: the plans, a plan's versions and customers, and the editor of a new version.
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
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telcost.accounts.access import (
    MASTER_DATA,
    READ_RATE_PLAN,
    customer_for_user,
    customers_for,
    may,
    rate_plan_for_user,
    rate_plans_for,
    require_right,
    require_staff,
)
from telcost.core.cycles import cycle_start_of, next_cycle
from telcost.customers.forms import (
    NEW_PLAN_INITIAL,
    RatePlanNewForm,
    RatePlanVersionForm,
    initial_of,
)
from telcost.customers.models import CostCenter, Device, RatePlan
from telcost.customers.selectors import (
    cost_centers_of,
    cost_centers_on,
    device_cost_center_history,
    devices_for_assigning,
    rate_plan_current_version,
    rate_plan_latest_version,
)
from telcost.customers.services import (
    CustomerInputError,
    cost_center_create,
    cost_center_delete,
    cost_center_rename,
    cost_centers_assign,
    rate_plan_create,
    rate_plan_version_add,
)

NO_COST_CENTER = "-"  # the assign form's choice "no cost center from this date on"


def _page(customer_id: int):
    return redirect(reverse("customers:cost_centers", args=[customer_id]))


def _cost_center(request, cost_center_id: int) -> CostCenter:
    center = CostCenter.objects.select_related("customer").filter(pk=cost_center_id).first()
    require_right(
        user=request.user,
        customer=center.customer if center else None,
        right=MASTER_DATA,
        not_found=_("Cost center not found"),
    )
    return center


@login_required
def cost_centers_page(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    today = timezone.localdate()
    return render(
        request,
        "customers/cost_centers.html",
        {
            "customer": customer,
            "cost_centers": cost_centers_of(customer, today),
            "may_edit": may(request.user, MASTER_DATA, customer),
            "today": today,
            "no_cost_center": NO_COST_CENTER,
        },
    )


@login_required
def assign_devices(request, customer_id: int):
    """The htmx fragment of devices to pick: the search's matches, each with its cost center now."""
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    q = request.GET.get("q", "").strip()[:100]
    devices = devices_for_assigning(customer, q)
    now = cost_centers_on(customer, timezone.localdate())
    return render(
        request,
        "customers/_assign_devices.html",
        {
            "customer": customer,
            "rows": [(device, now.get(device.pk)) for device in devices],
            "may_edit": may(request.user, MASTER_DATA, customer),
            "q": q,
            "limited": len(devices) >= 200,
        },
    )


def _written(request, customer_id: int, write, success: str):
    """A cost-center write from a form: its refusal (CustomerInputError) or `success` as the
    message on the customer's cost-center page, where the browser goes back to."""
    try:
        write()
    except CustomerInputError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return _page(customer_id)


@login_required
@require_POST
def cost_center_add(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MASTER_DATA)
    code = request.POST.get("code", "")
    return _written(
        request,
        customer.pk,
        lambda: cost_center_create(customer=customer, code=code, name=request.POST.get("name", "")),
        _("Cost center %(code)s created.") % {"code": code.strip()},
    )


@login_required
@require_POST
def cost_center_edit(request, cost_center_id: int):
    center = _cost_center(request, cost_center_id)
    return _written(
        request,
        center.customer_id,
        lambda: cost_center_rename(cost_center=center, name=request.POST.get("name", "")),
        _("Cost center %(code)s renamed.") % {"code": center.code},
    )


@login_required
@require_POST
def cost_center_remove(request, cost_center_id: int):
    center = _cost_center(request, cost_center_id)
    return _written(
        request,
        center.customer_id,
        lambda: cost_center_delete(cost_center=center),
        _("Cost center %(code)s deleted.") % {"code": center.code},
    )


@login_required
@require_POST
def assignments_add(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MASTER_DATA)
    code = request.POST.get("cost_center_code", "")
    try:
        valid_from = dt.date.fromisoformat(request.POST.get("valid_from", ""))
    except ValueError:
        messages.error(request, _("valid_from: choose the date the assignment starts"))
        return _page(customer.pk)
    try:
        assigned = cost_centers_assign(
            customer=customer,
            msisdns=request.POST.getlist("msisdns"),
            cost_center_code=None if code == NO_COST_CENTER else code,
            valid_from=valid_from,
        )
    except CustomerInputError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(count)s device(s) assigned from %(day)s.")
            % {
                "count": assigned,
                "day": formats.date_format(valid_from, "SHORT_DATE_FORMAT"),
            },
        )
    return _page(customer.pk)


@login_required
def device_history(request, customer_id: int, device_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    device = Device.objects.filter(customer=customer, pk=device_id).first()
    if device is None:
        raise Http404(_("Device not found"))
    return render(
        request,
        "customers/device_cost_centers.html",
        {
            "customer": customer,
            "device": device,
            "history": device_cost_center_history(device),
        },
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
