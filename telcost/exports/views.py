"""Admin → Cost Centers (→ Details → Export), and the export buttons' request-and-download flow."""

import datetime as dt
from typing import NamedTuple

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telcost.accounts.access import EXPORT, customer_for_user, customers_for
from telcost.core.cycles import BadCycle, recent_cycles, requested_month
from telcost.customers.models import Device
from telcost.customers.selectors import CostCenterPeriod, cost_centers_on
from telcost.exports.models import CsvDialect
from telcost.exports.selectors import export_for_user
from telcost.exports.services import ExportRequestError, export_request


@login_required
def cost_centers(request):
    customers = list(
        customers_for(request.user, EXPORT).annotate(n=Count("cost_centers")).order_by("name")
    )
    if not customers and not request.user.is_staff:
        raise PermissionDenied
    return render(request, "exports/cost_centers.html", {"customers": customers})


class _DeviceToday(NamedTuple):
    """A row of "Devices today": the device and its cost center period (code, name) valid today."""

    device: Device
    cost_center: CostCenterPeriod
    valid_from: dt.date


@login_required
def cost_center_details(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=EXPORT)
    current = cost_centers_on(customer, timezone.localdate())
    devices = sorted(customer.devices.filter(pk__in=current), key=lambda device: device.msisdn)
    assignments = [
        _DeviceToday(device, current[device.pk], current[device.pk].valid_from)
        for device in devices
    ]
    return render(
        request,
        "exports/cost_center_details.html",
        {
            "customer": customer,
            "cost_centers": customer.cost_centers.annotate(n=Count("assignments")),
            "assignments": assignments,
            "months": recent_cycles(13),
        },
    )


def file_type_of(form) -> tuple[str, str]:
    """(format, csv_dialect) of a page's export form: its file_type ("xlsx", "csv:excel-nl") or
    format and csv_dialect; a csv without a dialect is the one the reader's Excel opens as
    columns (";" and a decimal comma in Dutch). export_request refuses what it does not know."""
    fmt, _sep, dialect = form.get("file_type", "").partition(":")
    fmt = fmt or form.get("format", "xlsx")
    dialect = dialect or form.get("csv_dialect", "")
    if not dialect:
        dialect = CsvDialect.EXCEL_NL if translation.get_language() == "nl" else CsvDialect.RFC4180
    return fmt, dialect


@login_required
@require_POST
def export_start(request, customer_id: int):
    try:
        customer = customer_for_user(user=request.user, customer_id=customer_id, right=EXPORT)
    except PermissionDenied:
        return render(
            request, "exports/_export_status.html", {"error": _("Access denied")}, status=403
        )
    fmt, csv_dialect = file_type_of(request.POST)
    try:
        export = export_request(
            customer=customer,
            user=request.user,
            cycle_start_date=requested_month(request.POST.get("date", "")),
            kind=request.POST.get("kind", ""),
            fmt=fmt,
            language=translation.get_language(),
            csv_dialect=csv_dialect,
        )
    except (BadCycle, ExportRequestError) as exc:
        return render(request, "exports/_export_status.html", {"error": str(exc)}, status=400)
    return render(request, "exports/_export_status.html", {"export": export})


@login_required
def export_status(request, export_id: int):
    export = export_for_user(user=request.user, export_id=export_id)
    if export is None:
        raise Http404
    return render(request, "exports/_export_status.html", {"export": export})
