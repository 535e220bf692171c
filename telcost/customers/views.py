"""Customer menu → Cost centers: the customer's cost centers, their devices now, dated assignments.

Viewers read; staff and the managers of the customer or its partner (MASTER_DATA) create, rename,
delete and assign. Every write goes through customers/services.py; the page answers a form with a
redirect and a message (post/redirect/get), so a reload never sends it again.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telcost.accounts.access import MASTER_DATA, customer_for_user, may, require_right
from telcost.customers.models import CostCenter, Device
from telcost.customers.selectors import (
    cost_centers_of,
    cost_centers_on,
    device_cost_center_history,
    devices_for_assigning,
)
from telcost.customers.services import (
    CustomerInputError,
    cost_center_create,
    cost_center_delete,
    cost_center_rename,
    cost_centers_assign,
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


@login_required
@require_POST
def cost_center_add(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MASTER_DATA)
    code = request.POST.get("code", "")
    try:
        cost_center_create(customer=customer, code=code, name=request.POST.get("name", ""))
    except CustomerInputError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Cost center %(code)s created.") % {"code": code.strip()})
    return _page(customer.pk)


@login_required
@require_POST
def cost_center_edit(request, cost_center_id: int):
    center = _cost_center(request, cost_center_id)
    try:
        cost_center_rename(cost_center=center, name=request.POST.get("name", ""))
    except CustomerInputError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Cost center %(code)s renamed.") % {"code": center.code})
    return _page(center.customer_id)


@login_required
@require_POST
def cost_center_remove(request, cost_center_id: int):
    center = _cost_center(request, cost_center_id)
    try:
        cost_center_delete(cost_center=center)
    except CustomerInputError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Cost center %(code)s deleted.") % {"code": center.code})
    return _page(center.customer_id)


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
