"""Workflow 1's JSON endpoints at their edges: whatever a client sends, a clear answer and nothing
queued."""

import pytest

from telcost.customers.models import Customer
from telcost.jobs.models import Job
from telcost.usage.recalculation.services import recalculation_dispatch
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.usage.helpers import SEPT, add_cdr

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    customer = CustomerFactory(name="Shop")
    add_cdr(customer, duration_s=60, provider_cost="0.4200")
    return customer


@pytest.mark.parametrize(
    "date",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:00+00:00",
        "9999-12-31",
        "2026-09-01T25:00",
        "2026-02-30",
        "%20",
        "2026-09-01T12:00:00+99:00",
    ],
)
def test_dates_no_cycle_can_hold_are_a_400_and_queue_nothing(api_client, staff_user, shop, date):
    response = api_client(staff_user).post(f"/usage/recalculate_total_usage/{date}/{shop.pk}")
    assert response.status_code == 400 and response.json()["error"]
    assert not Job.objects.exists() and not Customer.objects.get(pk=shop.pk).calculate_totals


@pytest.mark.parametrize("customer_id", ["99999999999999999999999", "-1", "0", "1e3"])
def test_customer_ids_that_name_no_customer_are_the_seeds_404(
    api_client, staff_user, shop, customer_id
):
    response = api_client(staff_user).post(
        f"/usage/recalculate_total_usage/2026-09-01/{customer_id}"
    )
    assert response.status_code == 404 and response.json() == {"error": "Invalid customer provided"}
    assert not Job.objects.exists()


def test_any_date_or_timestamp_in_the_month_names_the_same_cycle(api_client, staff_user, shop):
    client = api_client(staff_user)
    answers = [
        client.post(f"/usage/recalculate_total_usage/{date}/{shop.pk}").json()
        for date in ("2026-09", "2026-09-30", "2026-08-31T23:30:00+00:00")
    ]
    # 23:30 UTC on 31 August is already September in Amsterdam.
    assert {a["cycle_start"] for a in answers} == {"2026-09-01"}
    assert [a["joined"] for a in answers] == [False, True, True] and Job.objects.count() == 1


def test_a_finished_recalculation_is_not_joined_by_the_next_click(
    api_client, staff_user, shop, drain_jobs
):
    client = api_client(staff_user)
    first = client.post(f"/usage/recalculate_total_usage/2026-09-01/{shop.pk}").json()
    drain_jobs()
    second = client.post(f"/usage/recalculate_total_usage/2026-09-01/{shop.pk}").json()
    assert second["job_id"] != first["job_id"] and second["joined"] is False
    drain_jobs()
    versions = client.get(f"/api/customers/{shop.pk}/totals/versions?month=2026-09").json()
    assert [v["version"] for v in versions] == [2, 1]


def test_other_months_and_customers_are_separate_jobs(api_client, staff_user, shop):
    client = api_client(staff_user)
    other = CustomerFactory()
    ids = {
        client.post(path).json()["job_id"]
        for path in (
            f"/usage/recalculate_total_usage/2026-09-01/{shop.pk}",
            f"/usage/recalculate_total_usage/2026-10-01/{shop.pk}",
            f"/usage/recalculate_total_usage/2026-09-01/{other.pk}",
        )
    }
    assert len(ids) == 3


def test_reads_before_any_calculation(api_client, shop):
    viewer = UserFactory()
    MembershipFactory(user=viewer, customer=shop, role="viewer")
    client = api_client(viewer)
    for what in ("totals", "insights"):
        response = client.get(f"/api/customers/{shop.pk}/{what}?month=2026-09")
        assert response.status_code == 404 and "error" in response.json()
    assert client.get(f"/api/customers/{shop.pk}/totals/versions?month=2026-09").json() == []


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("month=9999-12", 400),
        ("month=1899-12", 400),
        ("month=2026-9", 400),
        ("", 400),
        ("month=2026-09&a=1&b=99999999999999999999", 404),
        ("month=2026-09&a=-1&b=1", 404),
        ("month=2026-09&a=0&b=1", 404),
        ("month=2026-09&a=x&b=1", 400),
        ("month=2026-09&a=1", 400),
    ],
)
def test_bad_reads_are_clear_errors(api_client, staff_user, shop, drain_jobs, query, status):
    recalculation_dispatch(customer=shop, cycle_start=SEPT)
    drain_jobs()
    response = api_client(staff_user).get(f"/api/customers/{shop.pk}/totals/diff?{query}")
    assert response.status_code == status and response.json()["error"]


@pytest.mark.parametrize("what", ["totals", "insights", "totals/versions"])
def test_reads_check_permission_and_existence(api_client, shop, outsider, what):
    outsiders = api_client(outsider).get(f"/api/customers/{shop.pk}/{what}?month=2026-09")
    assert outsiders.status_code == 404
    assert api_client().get(f"/api/customers/{shop.pk}/{what}?month=2026-09").status_code == 401
    missing = api_client(outsider).get(f"/api/customers/99999999999999999999/{what}?month=2026-09")
    assert missing.status_code in (400, 404) and missing.json()["error"]
