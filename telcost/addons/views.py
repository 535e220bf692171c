"""Admin → SIM Cards → Simacties: the addons action, its result as soon as the job ends."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from telcost.accounts.access import (
    CUSTOMER_NOT_FOUND,
    MANAGE_ADDONS,
    admin_menu_visible,
    customer_for_user,
    customer_id_of,
    customers_for,
)
from telcost.addons.models import ADDON_CATALOGUE, AddonType
from telcost.addons.selectors import addon_label, addons_of_customer
from telcost.addons.services import AddonRequestError, addon_change_dispatch
from telcost.core.page import page_customer_set
from telcost.jobs.selectors import job_as_dict, job_get_for_user


@login_required
def simacties(request):
    if not admin_menu_visible(request.user):
        raise PermissionDenied
    customers = list(customers_for(request.user, MANAGE_ADDONS).order_by("name", "pk"))
    selected = next(
        (c for c in customers if str(c.pk) == request.GET.get("customer_id")),
        customers[0] if customers else None,
    )
    if selected is not None:
        page_customer_set(request, selected)
    return render(
        request,
        "addons/simacties.html",
        {
            "customers": customers,
            "selected": selected,
            "addon_types": [(t.value, ADDON_CATALOGUE[t]["label"]) for t in AddonType],
            "overview": _overview(selected) if selected else None,
        },
    )


@login_required
def simacties_submit(request):
    if request.method != "POST":
        raise PermissionDenied
    if request.POST.get("action_type") != "addons":
        return render(
            request,
            "addons/_result.html",
            {"error": _("Choose the action type 'addons'.")},
            status=400,
        )
    # Not the user's to see: as if it did not exist (no probing of ids); seen but not managed: 403.
    try:
        customer = customer_for_user(
            user=request.user,
            customer_id=customer_id_of(request.POST.get("customer_id")),
            right=MANAGE_ADDONS,
        )
    except Http404:
        return render(request, "addons/_result.html", {"error": CUSTOMER_NOT_FOUND}, status=404)
    except PermissionDenied:
        return render(request, "addons/_result.html", {"error": _("Access denied")}, status=403)
    addon_type = request.POST.get("addon_type", "")
    try:
        job = addon_change_dispatch(
            customer=customer,
            user=request.user,
            action=request.POST.get("addonsAction", ""),
            addon_type=addon_type,
        ).job
    except AddonRequestError as exc:
        return _refused(request, exc, addon_type)
    # While the job is pending or running, the fragment keeps the form's button disabled.
    return render(request, "addons/_result.html", {"job": job_as_dict(job), "customer": customer})


def _refused(request, exc: AddonRequestError, addon_type: str):
    if exc.retry_after is not None:
        message = _("Too many requests: at most 10 a minute. Try again in %(seconds)s seconds.") % {
            "seconds": exc.retry_after
        }
        response = render(request, "addons/_result.html", {"error": message}, status=exc.status)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if exc.status == 409:
        message = _("There is no active %(addon)s addon to cancel.") % {
            "addon": addon_label(addon_type)
        }
    else:
        message = str(exc)
    return render(request, "addons/_result.html", {"error": message}, status=exc.status)


@login_required
def simacties_overview(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MANAGE_ADDONS)
    return render(request, "addons/_overview.html", {"overview": _overview(customer)})


def _overview(customer) -> dict:
    """ "Current addons" are the active ones; the cancelled and failed are in the history."""
    overview = addons_of_customer(customer_id=customer.pk)
    overview["active"] = [a for a in overview["addons"] if a["status"] == "active"]
    return overview


@login_required
def simacties_result(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    data = job_as_dict(job)
    # The step name is for the log; the person wants the seed's message.
    message = data["error"].split(": ", 1)[1] if ": " in data["error"] else data["error"]
    retry_at = None
    if message == "Too many requests":
        # The provider takes 10 requests a minute: a minute after the refusal there is room again.
        message = _("Too many requests")
        # Shown to the minute, so rounded up: "after 14:06", never a minute too early.
        retry_at = (job.finished_at or timezone.now()) + dt.timedelta(seconds=60 + 59)
        retry_at = retry_at.replace(second=0, microsecond=0)
    response = render(
        request, "addons/_result.html", {"job": data, "message": message, "retry_at": retry_at}
    )
    if not job.is_active:
        response["HX-Trigger"] = "addons-changed"
    return response
