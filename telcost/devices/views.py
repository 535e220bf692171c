"""Customer menu → Devices: the inventory, a device's page, add, edit, deactivate, the bulk import.

The same selectors, services and access rules as the API (devices/api.py): a user who may not see
the customer gets 404, a viewer's POST 403.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telcost.accounts.access import (
    EXPORT,
    MASTER_DATA,
    VIEW,
    customer_for_user,
    device_fields_editable,
    may,
    require_staff,
)
from telcost.core.cycles import BadCycle, recent_cycles, requested_month
from telcost.customers.device_imports import COLUMNS, DeviceImportRefused
from telcost.customers.models import CostCenter, Customer
from telcost.customers.selectors import cost_centers_on
from telcost.customers.services import (
    CustomerInputError,
    device_create,
    device_deactivate,
    device_update,
)
from telcost.devices.selectors import (
    SORT_KEYS,
    InventoryQuery,
    InventoryQueryError,
    device_addons,
    device_cost_center_history,
    device_for_user,
    device_inventory,
    device_row,
)
from telcost.devices.services import DEVICE_IMPORT_KIND, device_import_dispatch
from telcost.jobs.selectors import job_as_dict, job_get_for_user
from telcost.usage.billing.device_costs import device_cdrs, device_cost_by_month

PAGE_SIZE = 50
_EDIT_FIELDS = ("label", "user_name", "iccid", "activated_on", "deactivated_on")


def _month(request) -> dt.date:
    """The month the page shows (?month=YYYY-MM), this month when none or not a month to show."""
    try:
        return requested_month(request.GET.get("month", ""), month_only=True)
    except BadCycle:
        return recent_cycles(1)[0]


@login_required
def inventory(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    month = _month(request)
    sort = request.GET.get("sort", "msisdn")
    query = InventoryQuery(
        q=request.GET.get("q", "").strip()[:200],
        cost_center=request.GET.get("cost_center", "").strip()[:64],
        status=request.GET.get("status", ""),
        sort=sort,
        month=month,
    )
    error = None
    try:
        page = device_inventory(
            customer=customer,
            query=query,
            today=timezone.localdate(),
            page=_page_number(request),
            page_size=PAGE_SIZE,
        )
    except InventoryQueryError as exc:
        error = str(exc)
        query = InventoryQuery(month=month)
        page = device_inventory(
            customer=customer, query=query, today=timezone.localdate(), page=1, page_size=PAGE_SIZE
        )
    num_pages = max(1, -(-page["count"] // PAGE_SIZE))
    context = {
        "customer": customer,
        "query": query,
        "month": month,
        "months": recent_cycles(13),
        "page": page,
        "num_pages": num_pages,
        "error": error,
        "columns": _sort_columns(query.sort),
        "cost_centers": CostCenter.objects.filter(customer=customer).order_by("code"),
        "may_add": request.user.is_staff,
        "may_export": may(request.user, EXPORT, customer),
        "filters": _filters(query, month),
    }
    template = "devices/_inventory.html" if request.htmx else "devices/inventory.html"
    return render(request, template, context, status=400 if error else 200)


def _page_number(request) -> int:
    text = request.GET.get("page", "1")
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 2**31 else 1


def _filters(query: InventoryQuery, month: dt.date) -> str:
    """The query string of the filters (no sort, no page), for the sort and page links."""
    pairs = {"q": query.q, "cost_center": query.cost_center, "status": query.status}
    return urlencode({"month": f"{month:%Y-%m}", **{k: v for k, v in pairs.items() if v}})


def _sort_columns(sort: str) -> list[dict]:
    """Each column (all sort): its title, whether it is the sort, and the sort its link asks
    for."""
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    titles = {
        "msisdn": _("MSISDN"),
        "iccid": _("ICCID"),
        "label": _("Label"),
        "user_name": _("User"),
        "cost_center": _("Cost center"),
        "activated_on": _("Status"),
        "cost": "",  # the template adds the month, in the reader's format
    }
    return [
        {
            "key": k,
            "title": titles[k],
            "active": k == key,
            "descending": k == key and descending,
            "link": f"-{k}" if k == key and not descending else k,
        }
        for k in SORT_KEYS
    ]


@login_required
@require_POST
def add(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    require_staff(request.user)
    try:
        device = device_create(
            customer=customer,
            msisdn=request.POST.get("msisdn", ""),
            iccid=request.POST.get("iccid", ""),
            label=request.POST.get("label", ""),
            user_name=request.POST.get("user_name", ""),
            activated_on=request.POST.get("activated_on", ""),
        )
    except CustomerInputError as exc:
        return render(
            request,
            "devices/_add_form.html",
            {"customer": customer, "error": str(exc), "values": request.POST},
            status=exc.status,
        )
    messages.success(request, _("Device %(msisdn)s added.") % {"msisdn": device.msisdn})
    response = render(request, "devices/_add_form.html", {"customer": customer})
    response["HX-Redirect"] = reverse("devices:page", args=[device.pk])
    return response


@login_required
def device_page(request, device_id: int):
    device = device_for_user(user=request.user, device_id=device_id, right=VIEW)
    return render(request, "devices/device.html", _device_context(request, device))


def _device_context(request, device, **extra) -> dict:
    today = timezone.localdate()
    month = _month(request)
    customer: Customer = device.customer
    cdrs = Paginator(device_cdrs(device=device, cycle_start=month), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    twelve = list(reversed(recent_cycles(12)))
    return {
        "customer": customer,
        "device": device,
        "row": device_row(device, cost_centers_on(customer, today).get(device.pk), today, None),
        "month": month,
        "months": recent_cycles(13),
        "cdrs": cdrs,
        "costs": list(device_cost_by_month(device=device, months=twelve).items()),
        # The page shows each period's last day ("until and including"); the API its end.
        "history": [
            {**h, "last_day": h["valid_until"] - dt.timedelta(days=1) if h["valid_until"] else None}
            for h in device_cost_center_history(device)
        ],
        "addons": device_addons(device),
        "editable": device_fields_editable(request.user, customer),
        "may_deactivate": request.user.is_staff and device.deactivated_on is None,
        "today": today,
        **extra,
    }


@login_required
@require_POST
def edit(request, device_id: int):
    device = device_for_user(user=request.user, device_id=device_id, right=MASTER_DATA)
    allowed = device_fields_editable(request.user, device.customer)
    fields = {name: request.POST[name] for name in _EDIT_FIELDS if name in request.POST}
    if set(fields) - allowed:
        raise PermissionDenied("Unauthorized")
    return _update(request, device, _("Device saved."), fields=fields)


@login_required
@require_POST
def deactivate(request, device_id: int):
    device = device_for_user(user=request.user, device_id=device_id, right=VIEW)
    require_staff(request.user)
    on = request.POST.get("deactivated_on", "") or timezone.localdate()
    return _update(request, device, _("Device deactivated."), device_deactivate, on=on)


def _update(request, device, done: str, service=device_update, **arguments):
    try:
        service(device=device, **arguments)
    except CustomerInputError as exc:
        context = _device_context(request, device, error=str(exc))
        return render(request, "devices/device.html", context, status=exc.status)
    messages.success(request, done)
    return redirect("devices:page", device.pk)


@login_required
def import_page(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    require_staff(request.user)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            return _import_error(request, customer, _("file: choose a CSV file"))
        try:
            job = device_import_dispatch(customer=customer, upload=upload, user=request.user).job
        except DeviceImportRefused as exc:
            return _import_error(request, customer, str(exc))
        return render(
            request, "devices/_import_status.html", {"customer": customer, "job": job_as_dict(job)}
        )
    return render(
        request, "devices/import.html", {"customer": customer, "columns": ",".join(COLUMNS)}
    )


def _import_error(request, customer, message: str):
    return render(
        request,
        "devices/_import_status.html",
        {"customer": customer, "error": message},
        status=400,
    )


@login_required
def import_status(request, customer_id: int, job_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    job = job_get_for_user(user=request.user, job_id=job_id)
    if job.customer_id != customer.pk or job.kind != DEVICE_IMPORT_KIND.name:
        raise Http404
    return render(
        request, "devices/_import_status.html", {"customer": customer, "job": job_as_dict(job)}
    )
