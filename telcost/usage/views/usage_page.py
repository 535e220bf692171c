"""Workflow 1's pages: the customer's Usage page ("Product Specs" in the seed) and the admin
page."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telcost.accounts.access import EXPORT, RECALCULATE, VIEW, customer_for_user, may
from telcost.alerts.selectors import alerts_of
from telcost.core.charts import money_chart
from telcost.core.cycles import (
    BadCycle,
    cycle_end_of,
    cycle_start_of,
    parse_month,
    requested_month,
)
from telcost.customers.models import Customer
from telcost.jobs.kinds import job_params
from telcost.jobs.selectors import job_as_dict, job_get_for_user
from telcost.usage.recalculation.services import recalculation_dispatch, valid_version
from telcost.usage.recalculation.status import RECALCULATE_TOTALS_KIND
from telcost.usage.selectors import (
    DEFAULT_DEVICE_SORT,
    DEVICE_SORTS,
    UNASSIGNED,
    USAGE_TYPES,
    DeviceTableQuery,
    cost_centers_list,
    cost_trend,
    cycles_with_data,
    device_costs_page,
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


DEVICE_PAGE_SIZE = 50
TREND_MONTHS = 12
TOP_DEVICES = 10
BANNER_ALERTS = 5
# Chart colours: the stylesheet's palette (a config is JSON, so they are written out here).
COLOURS = {
    "voice": "#0b5cab",
    "sms": "#7b3fa0",
    "data": "#1f8a5b",
    "subscription": "#c27c0e",
    "roaming": "#b42318",
    "previous": "#9aa5b1",
    "current": "#0b5cab",
}


def _device_query(request) -> DeviceTableQuery:
    """The per-device table's state from the URL (?q=&cost_center=&type=&sort=&page=): a reload
    or a bookmark shows the same rows. Unknown values fall back to the defaults."""
    get = request.GET
    sort = get.get("sort", "")
    if sort.lstrip("-") not in DEVICE_SORTS:
        sort = DEFAULT_DEVICE_SORT
    usage_type = get.get("type", "")
    try:
        page = max(1, min(int(get.get("page", "1")), 10**6))
    except ValueError:
        page = 1
    return DeviceTableQuery(
        q=get.get("q", "")[:100],
        cost_center=get.get("cost_center", "")[:64],
        usage_type=usage_type if usage_type in USAGE_TYPES else "",
        sort=sort,
        page=page,
        page_size=DEVICE_PAGE_SIZE,
    )


def _table_link(customer: Customer, month: dt.date, query: DeviceTableQuery, **changes) -> str:
    """The page's URL with the table's state, changed: sort headers and pager links."""
    state = {
        "month": month.strftime("%Y-%m"),
        "q": query.q,
        "cost_center": query.cost_center,
        "type": query.usage_type,
        "sort": query.sort,
        "page": query.page,
        **changes,
    }
    defaults = {"q": "", "cost_center": "", "type": "", "sort": DEFAULT_DEVICE_SORT, "page": 1}
    kept = {k: v for k, v in state.items() if defaults.get(k, object()) != v}
    return f"/customers/{customer.pk}/usage/?{urlencode(kept)}"


def _sort_headers(customer: Customer, month: dt.date, query: DeviceTableQuery) -> dict:
    """Per column: its link (ascending first; the column sorted now flips) and its aria-sort."""
    key, descending = query.sort.lstrip("-"), query.sort.startswith("-")
    headers = {}
    for column in DEVICE_SORTS:
        if column == key:
            target = column if descending else f"-{column}"
            state = "descending" if descending else "ascending"
        else:
            target, state = column, "none"
        headers[column] = {
            "url": _table_link(customer, month, query, sort=target, page=1),
            "aria": state,
        }
    return headers


def _trend_charts(customer: Customer) -> dict:
    """The twelve months' cost stacked by usage type and subscriptions, and the roaming cost:
    exactly the values of GET /api/customers/{id}/trend (null where never calculated)."""
    trend = cost_trend(customer=customer, months=TREND_MONTHS)
    labels = [formats.date_format(dt.date.fromisoformat(f"{m['month']}-01"), "M Y") for m in trend]
    names = {
        "voice": _("Voice"),
        "sms": "SMS",
        "data": _("Data"),
        "subscription": _("Subscriptions"),
    }
    stacked = money_chart(
        "bar",
        labels,
        [
            {
                "label": name,
                "data": [m["by_type"][kind] for m in trend],
                "backgroundColor": COLOURS[kind],
                "stack": "cost",
            }
            for kind, name in names.items()
        ],
        scales={"x": {"stacked": True}, "y": {"stacked": True, "beginAtZero": True}},
    )
    roaming = money_chart(
        "bar",
        labels,
        [
            {
                "label": _("Roaming"),
                "data": [m["roaming_cost"] for m in trend],
                "backgroundColor": COLOURS["roaming"],
            }
        ],
        scales={"y": {"beginAtZero": True}},
    )
    return {"trend": trend, "trend_chart": stacked, "roaming_chart": roaming}


def _content_context(
    request, customer: Customer, month: dt.date, *, table_only: bool = False
) -> dict:
    """What the month's content shows; `table_only` for the device table's own htmx request,
    which needs neither the top ten nor their chart (each another pass over every device)."""
    totals = totals_get(customer=customer, cycle_start=month, with_devices=False)
    context = {
        "customer": customer,
        "month": month,
        "totals": totals,
        "insights": insights_get(customer=customer, cycle_start=month),
        "versions": totals_versions_list(customer=customer, cycle_start=month),
        "page_url": f"/customers/{customer.pk}/usage/",
        # The banner: the month's fired alerts (the first few named, the rest counted).
        "alerts": list(alerts_of(customer, month)[:BANNER_ALERTS]),
        "alerts_count": alerts_of(customer, month).count(),
    }
    if totals is None:
        return context
    query = _device_query(request)
    table = device_costs_page(customer=customer, cycle_start=month, query=query)
    context.update(
        query=query,
        table=table,
        sorts=_sort_headers(customer, month, query),
        previous_url=_table_link(customer, month, query, page=table["page"] - 1),
        next_url=_table_link(customer, month, query, page=table["page"] + 1),
        cost_centers=cost_centers_list(customer=customer),
        unassigned=UNASSIGNED,
        usage_types=[("voice", _("Voice")), ("sms", "SMS"), ("data", _("Data"))],
        cost_center_day=cycle_end_of(month),
    )
    if table_only:
        return context
    # The most expensive devices: the table's first rows by total, so both always agree.
    top = device_costs_page(
        customer=customer,
        cycle_start=month,
        query=DeviceTableQuery(sort="-total_cost", page_size=TOP_DEVICES),
    )["items"]
    context.update(
        top_devices=top,
        top_chart=money_chart(
            "bar",
            [d["label"] or d["msisdn"] for d in top],
            [
                {
                    "label": _("Total"),
                    "data": [d["total_cost"] for d in top],
                    "backgroundColor": COLOURS["current"],
                }
            ],
            indexAxis="y",
            scales={"x": {"beginAtZero": True}},
        ),
    )
    return context


def _partial(request) -> str | None:
    """Which part of the page an htmx request asks for (its target), or None for the whole
    page. A history restore (back button after a pushed URL) wants the whole page."""
    if request.headers.get("HX-Request") != "true":
        return None
    if request.headers.get("HX-History-Restore-Request") == "true":
        return None
    return {
        "device-table": "usage/_device_table.html",
        "usage-month": "usage/_usage_month.html",
    }.get(request.headers.get("HX-Target", ""))


@login_required
def usage_page(request, customer_id: int):
    """The month is in the URL (?month=YYYY-MM) with the device table's state, so a reload or a
    bookmark keeps both; the month picker and the table ask for their part by htmx and push the
    URL."""
    customer = _customer(request, customer_id)
    month = _month(request, customer)
    months = cycles_with_data(customer=customer)
    if month not in months:
        months = sorted([*months, month], reverse=True)
    partial = _partial(request)
    context = _content_context(
        request, customer, month, table_only=partial == "usage/_device_table.html"
    )
    context.update(
        months=months,
        may_recalculate=may(request.user, RECALCULATE, customer),
        may_export=may(request.user, EXPORT, customer),
    )
    if partial is None:
        context.update(_trend_charts(customer))
    # The filter form outside the table keeps the sort a header link chose.
    context["oob"] = partial == "usage/_device_table.html"
    response = render(request, partial or "usage/usage_page.html", context)
    # The same URL answers a page or a part of it: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
def usage_content(request, customer_id: int):
    customer = _customer(request, customer_id)
    return render(
        request,
        "usage/_usage_content.html",
        _content_context(request, customer, _month(request, customer)),
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
