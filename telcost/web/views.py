"""The shell's pages: home, the overview, and the customer switcher."""

from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import formats
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from telcost.accounts.access import admin_menu_visible, customer_for_user, customer_id_of
from telcost.core.charts import money_chart
from telcost.core.cycles import BadCycle, previous_cycle, recent_cycles, requested_month
from telcost.customers.models import Customer
from telcost.syncs.selectors import partner_overview
from telcost.web.current import chosen_customer, set_current_customer
from telcost.web.selectors import overview_customers, overview_partners, recent_jobs


@login_required
@require_safe
def home(request):
    """The chosen customer's usage; the overview when there is no clear choice yet."""
    customer = chosen_customer(request)
    if customer is not None:
        return redirect("usage:page", customer_id=customer.pk)
    return overview(request)


@login_required
@require_safe
def overview(request):
    user = request.user
    return render(
        request,
        "web/home.html",
        {
            "customers": overview_customers(user=user),
            "partners": overview_partners(user=user),
            "jobs": recent_jobs(user=user),
            "show_admin_links": admin_menu_visible(user),
        },
    )


# Chart colours of the side-by-side chart (the stylesheet's palette; a config is JSON).
_PREVIOUS_COLOUR, _CURRENT_COLOUR = "#9aa5b1", "#0b5cab"


@login_required
@require_safe
def partner_overview_page(request, partner_id: int):
    """Every customer of the partner in a month (?month=, the current one by default) against
    the month before: totals, alerts, last sync, calculated or not, and the side-by-side chart
    (the same rows as GET /api/partners/{id}/overview)."""
    partner = customer_for_user(user=request.user, customer_id=partner_id)
    if not partner.is_partner:
        raise Http404
    months = recent_cycles(24)
    try:
        month = requested_month(request.GET["month"], month_only=True)
    except (KeyError, BadCycle):
        month = months[0]
    if month not in months:
        months.append(month)
    rows = partner_overview(user=request.user, partner=partner, month=month)
    previous = previous_cycle(month)
    chart = money_chart(
        "bar",
        [r["name"] for r in rows],
        [
            {
                "label": formats.date_format(previous, "F Y"),
                "data": [r["previous_total_cost"] for r in rows],
                "backgroundColor": _PREVIOUS_COLOUR,
            },
            {
                "label": formats.date_format(month, "F Y"),
                "data": [r["total_cost"] for r in rows],
                "backgroundColor": _CURRENT_COLOUR,
            },
        ],
        scales={"y": {"beginAtZero": True}},
    )
    for row in rows:
        row["change"] = (
            Decimal(row["total_cost"]) - Decimal(row["previous_total_cost"])
            if row["total_cost"] is not None and row["previous_total_cost"] is not None
            else None
        )
    return render(
        request,
        "web/partner_overview.html",
        {
            "partner": partner,
            "month": month,
            "previous": previous,
            "months": months,
            "rows": rows,
            "chart": chart,
        },
    )


def _same_page_for(target: str, customer: Customer) -> str:
    """The page `target` names, but for `customer`: switching keeps the kind of page the user was
    on.

    A page addressed only by its customer (/customers/<id>/usage/?month=...) is shown
    for the new customer; a page that names other objects of the old customer
    (a job, a version) has no counterpart, so the user goes home.
    """
    parts = urlsplit(target)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return "/"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "customer_id" for key, _value in query):  # e.g. Simacties' ?customer_id=
        query = [(k, str(customer.pk) if k == "customer_id" else v) for k, v in query]
    if "customer_id" in match.kwargs:
        if set(match.kwargs) != {"customer_id"}:
            return "/"
        try:
            path = reverse(match.view_name, kwargs={"customer_id": customer.pk})
        except NoReverseMatch:
            return "/"
        return urlunsplit(("", "", path, urlencode(query), ""))
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


@login_required
@require_POST
def switch_customer(request):
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    try:
        customer = customer_for_user(
            user=request.user, customer_id=customer_id_of(request.POST.get("customer_id"))
        )
    except Http404:
        # The same answer for "does not exist" and "not yours": no probing of ids.
        return render(
            request,
            "web/forbidden.html",
            {"message": _("You may not view that customer.")},
            status=403,
        )
    set_current_customer(request, customer)
    return redirect(_same_page_for(target, customer))


def server_error(request):
    """handler500: JSON on the JSON paths, the styled page elsewhere (Django has logged the error).

    Rendered without the request's context processors: they query the database, which may be
    what just failed.
    """
    from django.http import HttpResponseServerError, JsonResponse
    from django.template import loader

    from telcost.web.middleware import JSON_PREFIXES

    if request.path.startswith(JSON_PREFIXES):
        return JsonResponse({"error": _("Internal server error")}, status=500)
    return HttpResponseServerError(loader.get_template("500.html").render())
