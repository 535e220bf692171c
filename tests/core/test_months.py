"""A month a user asks for lies between 2000-01 and the current month (SPEC "Months", issue 13.11).

A future month used to become a subscription-only bill that then opened first for every viewer.
"""

import datetime as dt

import pytest
from django.utils import timezone, translation

from telcost.core.cycles import BadCycle, next_cycle, requested_month
from telcost.exports.models import ExportJob
from telcost.exports.services import ExportRequestError, export_request
from telcost.jobs.models import Job
from telcost.syncs.models import SyncProfile

pytestmark = pytest.mark.django_db


def _current() -> dt.date:
    return timezone.localdate().replace(day=1)


def _name(month: dt.date) -> str:
    return f"{month:%Y-%m}"


@pytest.fixture
def profile(customer):
    return SyncProfile.objects.create(
        customer=customer, name="p", provider="file_drop", settings={"path": "/tmp"}
    )


def _api_requests(customer, profile, month: str):
    day = f"{month}-01"
    return [
        ("post", f"/usage/recalculate_total_usage/{day}/{customer.pk}", None),
        (
            "post",
            f"/api/partners/{customer.pk}/recalculate",
            {"start_date": "2026-01-01", "end_date": day},
        ),
        ("post", f"/api/partners/{customer.pk}/recalculate", {"start_date": day, "end_date": day}),
        ("post", "/sync-profile/manual-sync", {"sync_profile_id": profile.pk, "date": day}),
        (
            "post",
            "/api/exports",
            {"customer_id": customer.pk, "cycle_start_date": day, "kind": "totals"},
        ),
        ("get", f"/api/customers/{customer.pk}/totals?month={month}", None),
        ("get", f"/api/customers/{customer.pk}/insights?month={month}", None),
        ("get", f"/api/customers/{customer.pk}/totals/versions?month={month}", None),
        ("get", f"/api/customers/{customer.pk}/totals/diff?month={month}&a=1&b=2", None),
        ("post", f"/api/customers/{customer.pk}/plan-simulations", {"month": month}),
    ]


@pytest.mark.parametrize("which", ["next month", "2030-01", "1999-12", "0001-01", "9999-12"])
def test_every_api_refuses_a_month_outside_2000_to_now_and_names_it(
    api_client, staff_user, customer, profile, which
):
    month = _name(next_cycle(_current())) if which == "next month" else which
    expected = f"{month} is before 2000-01" if month < "2000-01" else f"{month} is in the future"
    client = api_client(staff_user)
    client.cookies["django_language"] = "en"
    for method, path, body in _api_requests(customer, profile, month):
        response = getattr(client, method)(path, body) if body else getattr(client, method)(path)
        assert response.status_code == 400, (path, response.content)
        assert expected in response.json()["error"], (path, response.json())
    assert not Job.objects.exists()


def test_the_month_is_named_in_dutch_by_default(api_client, staff_user, customer):
    response = api_client(staff_user).post(
        f"/usage/recalculate_total_usage/2030-01-01/{customer.pk}"
    )
    assert response.status_code == 400 and response.json() == {
        "error": "2030-01 ligt in de toekomst"
    }


def test_the_current_month_and_2000_01_are_accepted(api_client, staff_user, customer):
    client = api_client(staff_user)
    for day in (f"{_current():%Y-%m-%d}", "2000-01-01"):
        assert client.post(f"/usage/recalculate_total_usage/{day}/{customer.pk}").status_code == 202


@pytest.mark.parametrize("month", ["2030-01", "1999-12"])
def test_every_page_refuses_such_a_month(client, staff_user, customer, profile, month):
    client.force_login(staff_user)
    day = f"{month}-01"
    posts = [
        (f"/customers/{customer.pk}/usage/recalculate", {"month": day}),
        ("/admin/syncs/recalculate-totals/", {"customer_id": customer.pk, "start_date": day}),
        (
            "/admin/syncs/recalculate-totals/",
            {"customer_id": customer.pk, "start_date": "2026-01-01", "end_date": day},
        ),
        (f"/sync-profiles/{profile.pk}/start", {"date": day}),
        (f"/customers/{customer.pk}/exports/start", {"date": day, "kind": "totals"}),
    ]
    for path, body in posts:
        response = client.post(path, body)
        assert response.status_code == 400, (path, response.content)
        assert month.encode() in response.content, path
    assert not Job.objects.exists()


def test_the_usage_page_does_not_open_on_a_future_month_made_before_this_rule(
    client, staff_user, customer
):
    from telcost.usage.models import CycleTotals

    future = next_cycle(_current())
    CycleTotals.objects.create(
        customer=customer,
        cycle_start=future,
        version=1,
        calculated_at=timezone.now(),
        total_cost=0,
        subscription_cost=0,
    )
    client.force_login(staff_user)
    assert client.get(f"/customers/{customer.pk}/usage/").context["month"] == _current()
    assert (
        client.get(f"/customers/{customer.pk}/usage/?month={_name(future)}").context["month"]
        == _current()
    )


def test_requested_month_follows_the_amsterdam_calendar():
    assert requested_month("2026-11-17", today=dt.date(2026, 11, 30)) == dt.date(2026, 11, 1)
    assert requested_month(dt.date(2000, 1, 31), today=dt.date(2026, 11, 30)) == dt.date(2000, 1, 1)
    with translation.override("en"), pytest.raises(BadCycle, match="2026-12 is in the future"):
        requested_month("2026-12-01", today=dt.date(2026, 11, 30))
    with translation.override("en"), pytest.raises(BadCycle, match="month must be YYYY-MM"):
        requested_month("2026-11-01", month_only=True)
    # 23:30 UTC on 30 November is already 1 December in Amsterdam: December is the current month.
    with timezone.override("Europe/Amsterdam"):
        instant = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
        assert requested_month("2026-12", today=timezone.localtime(instant).date()) == dt.date(
            2026, 12, 1
        )


def test_an_export_asked_of_the_service_for_a_future_month_is_refused(customer, staff_user):
    # The service is the one place every caller goes through (API, page, and whatever comes
    # next): it used to accept any date up to a year ahead.
    future = next_cycle(_current())
    with (
        translation.override("en"),
        pytest.raises(ExportRequestError, match=f"{_name(future)} is in the future"),
    ):
        export_request(
            customer=customer, user=staff_user, cycle_start_date=future, kind="cdrs", fmt="csv"
        )
    assert not ExportJob.objects.exists()
    assert not Job.objects.exists()
