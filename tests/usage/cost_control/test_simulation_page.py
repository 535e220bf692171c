"""The rate-plan simulation page (/customers/<id>/simulation/): who sees and does what, the job's
live status, and the result's device table (sorted, searched, 50 a page) on the server."""

import datetime as dt
import re

import pytest
from django.test import Client

from telcost.jobs.models import Job
from telcost.usage.billing.simulation import PLAN_SIMULATION_KIND
from tests.factories import CustomerFactory, DeviceFactory, RatePlanFactory
from tests.usage.cost_control.helpers import calculate, plan
from tests.usage.helpers import NO_BUNDLE, SEPT, add_cdr

pytestmark = pytest.mark.django_db

JAN = dt.date(2026, 1, 1)


@pytest.fixture
def month(customer):
    """The shared standard `customer`'s September: three phones, an SMS each (0.30, 0.20, 0.10),
    calculated; plans "cheap" (fee 0.05, SMS 0.01) and "dear" (fee 1.00, SMS 0.50)."""
    plan("cheap", "0.05", bundle=NO_BUNDLE, sms={"per_message": {"national": "0.01"}})
    plan("dear", "1.00", bundle=NO_BUNDLE, sms={"per_message": {"national": "0.50"}})
    for n, cost in enumerate(("0.3000", "0.2000", "0.1000")):
        phone = DeviceFactory(customer=customer, msisdn=f"3161000000{n}", activated_on=JAN)
        add_cdr(customer, phone, record_type="sms", provider_cost=cost)
    calculate(customer, SEPT)
    return customer


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _page(customer) -> str:
    return f"/customers/{customer.pk}/simulation/"


def _start(client, customer, plans=("cheap", "dear"), month="2026-09"):
    return client.post(
        f"{_page(customer)}start", {"month": month, "rate_plans": list(plans)}, HTTP_HX_REQUEST="1"
    )


def test_a_manager_starts_one_follows_it_and_reads_it(manager, month, drain_jobs):
    client = _client(manager)
    page = client.get(_page(month)).content.decode()
    assert 'id="simulation-form"' in page and 'value="cheap"' in page
    started = _start(client, month)
    assert started.status_code == 200
    assert b"simulation-running" in started.content
    job = Job.objects.get(kind=PLAN_SIMULATION_KIND.name)
    assert job.created_by == manager
    drain_jobs()
    status = client.get(f"{_page(month)}jobs/{job.pk}", HTTP_HX_REQUEST="1")
    # Done: htmx goes to the page of the result.
    assert status["HX-Redirect"] == f"{_page(month)}?job={job.pk}"
    result = client.get(_page(month), {"job": job.pk}).content.decode()
    # cheap: 3 × 0.01 + 3 × 0.05 = 0.18 against the provider's 0.60: saving 0.42.
    assert re.search(r'id="best-plan"><strong>cheap<', result)
    assert re.search(r'id="savings">€0.42<', result)
    assert 'data-chart="simulation-chart"' in result
    # Without ?job= the page shows the latest simulation that completed.
    assert 'id="best-plan"><strong>cheap<' in client.get(_page(month)).content.decode()


def test_a_viewer_reads_results_but_has_no_form_and_may_not_start(
    manager, viewer, month, drain_jobs
):
    _start(_client(manager), month)
    drain_jobs()
    client = _client(viewer)
    page = client.get(_page(month)).content.decode()
    assert 'id="simulation-form"' not in page
    assert 'id="best-plan"><strong>cheap<' in page
    assert _start(client, month).status_code == 403
    assert Job.objects.count() == 1


def test_an_outsider_finds_no_page_and_staff_may_start(outsider, staff_user, month):
    client = _client(outsider)
    assert client.get(_page(month)).status_code == 404
    assert _start(client, month).status_code == 404
    assert not Job.objects.exists()
    assert _start(_client(staff_user), month).status_code == 200
    assert Job.objects.count() == 1


def test_a_job_of_another_customer_or_kind_is_not_this_pages(manager, month, staff_user):
    other = CustomerFactory(name="Other")
    RatePlanFactory()
    DeviceFactory(customer=other, activated_on=JAN)
    calculate(other, SEPT)
    _start(_client(staff_user), other, plans=["biz-2026"])
    foreign = Job.objects.get(customer=other)
    client = _client(manager)
    assert client.get(_page(month), {"job": foreign.pk}).status_code == 404
    assert client.get(f"{_page(month)}jobs/{foreign.pk}").status_code == 404
    assert client.get(_page(month), {"job": "x1"}).status_code == 404


@pytest.mark.parametrize(
    ("plans", "asked", "status", "message"),
    [
        ((), "2026-09", 400, "Choose at least one rate plan."),
        ([f"p{n:02d}" for n in range(11)], "2026-09", 400, "choose at most 10 plans, got 11"),
        (["cheap"], "2026-08", 409, "2026-08 has not been calculated yet"),
        (["cheap"], "2099-01", 400, "2099-01 is in the future"),
    ],
)
def test_refusals_are_shown_and_nothing_is_started(manager, month, plans, asked, status, message):
    for n in range(11):
        plan(f"p{n:02d}", "1.00")
    answer = _start(_client(manager), month, plans=plans, month=asked)
    assert answer.status_code == status
    assert message in answer.content.decode()
    assert not Job.objects.exists()


def test_the_refusal_reads_in_dutch(manager, month):
    client = _client(manager)
    client.cookies["django_language"] = "nl"
    answer = _start(client, month, month="2026-08")
    assert "2026-08 is nog niet berekend: herbereken de maand eerst" in answer.content.decode()


def test_the_device_table_is_sorted_searched_and_paged_on_the_server(manager, month, drain_jobs):
    for n in range(52):  # 55 phones in all: 0.05 each on cheap, nothing now (no CDRs)
        DeviceFactory(customer=month, msisdn=f"3162{n:07d}", activated_on=JAN)
    calculate(month, SEPT)
    client = _client(manager)
    _start(client, month)
    drain_jobs()
    job = Job.objects.get()
    assert len(job.result["devices"]) == 55

    def rows(**query) -> list[str]:
        html = client.get(_page(month), {"job": job.pk, **query}).content.decode()
        body = html.split('id="simulation-devices"')[1].split("</tbody>")[0]
        return re.findall(r"<tr><td>(\d+)</td>", body)

    assert len(rows()) == 50
    assert rows(page=2) == [f"3162{n:07d}" for n in range(47, 52)]
    # Largest saving first: the phone whose SMS cost 0.30 now (0.30 − 0.06 = 0.24).
    assert rows(sort="-saving")[:3] == ["31610000000", "31610000001", "31610000002"]
    assert rows(sort="-current_cost")[0] == "31610000000"
    assert rows(q="3161000000") == ["31610000000", "31610000001", "31610000002"]
