"""Workflow 6: a partner's customers over a range of months, one child job per customer-month."""

import datetime as dt

import pytest

from telcost.jobs.models import Job
from telcost.jobs.services import job_cancel
from telcost.usage.models import CycleTotals
from tests.factories import CustomerFactory, DeviceFactory, MembershipFactory, UserFactory
from tests.usage.helpers import add_cdr, plan_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(rated_customer):
    partner = CustomerFactory(name="Partner")
    CustomerFactory(name="Standard kid", partner=partner)
    rated_customer(plan_with(), name="Rated kid", partner=partner)
    return partner


def post(client, customer_id, start="2026-07-01", end="2026-09-30"):
    return client.post(
        f"/api/partners/{customer_id}/recalculate", {"start_date": start, "end_date": end}
    )


def test_a_partner_range_is_one_child_per_customer_month(
    api_client, staff_user, partner, drain_jobs
):
    response = post(api_client(staff_user), partner.pk)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "success" and body["months_processed"] == 3
    parent = Job.objects.get(pk=body["job_id"])
    children = list(parent.children.order_by("pk"))
    assert len(children) == 6  # two customers × three months; the partner has no devices
    assert {(c.customer.name, c.params["cycle_start"]) for c in children} == {
        (name, month)
        for name in ("Standard kid", "Rated kid")
        for month in ("2026-07-01", "2026-08-01", "2026-09-01")
    }
    drain_jobs()
    parent.refresh_from_db()
    assert parent.status == "completed" and (parent.progress_done, parent.progress_total) == (6, 6)
    assert CycleTotals.objects.count() == 6
    progress = api_client(staff_user).get(f"/api/jobs/{parent.pk}").json()["progress"]
    assert progress == {"done": 6, "failed": 0, "cancelled": 0, "total": 6}


def test_the_partner_itself_is_included_when_it_has_devices(api_client, staff_user, partner):
    DeviceFactory(customer=partner)
    body = post(api_client(staff_user), partner.pk, "2026-09-01", "2026-09-01").json()
    assert Job.objects.get(pk=body["job_id"]).children.count() == 3


def test_a_plain_customer_is_recalculated_alone(api_client, staff_user):
    customer = CustomerFactory()
    body = post(api_client(staff_user), customer.pk, "2026-01-15", "2026-12-01").json()
    assert body["months_processed"] == 12
    assert set(Job.objects.get(pk=body["job_id"]).children.values_list("customer", flat=True)) == {
        customer.pk
    }


def test_a_failing_child_is_named_and_can_be_retried_alone(
    api_client, staff_user, partner, drain_jobs
):
    rated = partner.children.get(name="Rated kid")
    add_cdr(
        rated, duration_s=60, at=dt.datetime(2026, 8, 5, tzinfo=dt.UTC)
    ).__class__.objects.filter(customer=rated).update(
        cycle_start=dt.date(2026, 8, 1), zone="international"
    )
    plan = rated.rate_plan.versions.get()  # the plan's one version
    del plan.definition["voice"]["per_minute"]["international"]
    plan.save()
    parent = Job.objects.get(pk=post(api_client(staff_user), partner.pk).json()["job_id"])
    drain_jobs()
    parent.refresh_from_db()
    assert parent.status == "completed_with_failures"
    assert (parent.progress_done, parent.progress_failed) == (5, 1)
    detail = api_client(staff_user).get(f"/api/jobs/{parent.pk}").json()
    assert detail["failures"] == [
        {
            "id": detail["failures"][0]["id"],
            "customer": "Rated kid",
            "month": "2026-08",
            "error": detail["failures"][0]["error"],
        }
    ]
    assert "voice in zone 'international'" in detail["failures"][0]["error"]
    plan.definition["voice"]["per_minute"]["international"] = "0.80"
    plan.save()
    retry = api_client(staff_user).post(f"/api/jobs/{parent.pk}/retry-failed")
    assert retry.status_code == 202 and len(retry.json()["retried"]) == 1
    drain_jobs()
    parent.refresh_from_db()
    assert parent.status == "completed" and parent.progress_done == 6
    assert CycleTotals.objects.filter(customer=rated).count() == 3


def test_a_customer_month_already_recalculating_is_joined(
    api_client, staff_user, partner, drain_jobs
):
    from telcost.usage.recalculation.services import recalculation_dispatch

    kid = partner.children.get(name="Standard kid")
    running = recalculation_dispatch(customer=kid, cycle_start=dt.date(2026, 9, 1))
    parent = Job.objects.get(
        pk=post(api_client(staff_user), partner.pk, "2026-09-01", "2026-09-01").json()["job_id"]
    )
    assert parent.children.get(customer=kid).follows_id == running.pk
    assert (
        Job.objects.filter(kind="recalculate_totals", customer=kid, follows__isnull=True).count()
        == 1
    )
    drain_jobs()
    parent.refresh_from_db()
    assert parent.status == "completed"


def test_the_same_range_twice_while_it_runs_is_one_job(api_client, staff_user, partner):
    first = post(api_client(staff_user), partner.pk).json()
    second = post(api_client(staff_user), partner.pk).json()
    assert first["job_id"] == second["job_id"] and second["joined"]


def test_cancel_drops_the_children_not_started(api_client, staff_user, partner, drain_jobs):
    parent = Job.objects.get(pk=post(api_client(staff_user), partner.pk).json()["job_id"])
    response = api_client(staff_user).post(f"/api/jobs/{parent.pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    drain_jobs()
    assert set(parent.children.values_list("status", flat=True)) == {"cancelled"}
    assert not CycleTotals.objects.exists()
    assert job_cancel(job=parent).status == "cancelled"


def test_a_cancelled_range_can_be_retried_and_its_counters_stay_true(
    api_client, staff_user, partner, drain_jobs
):
    # Cancelling the parent cancels its pending children without counting them (the parent has
    # already ended); retry-failed used to subtract them anyway: a negative counter, a 500.
    parent = Job.objects.get(pk=post(api_client(staff_user), partner.pk).json()["job_id"])
    cancel = api_client(staff_user).post(f"/api/jobs/{parent.pk}/cancel")
    assert cancel.json()["status"] == "cancelled"
    # Its parts are counted as cancelled, not as failures (the page said "0/6", 6 failed parts).
    assert cancel.json()["progress"] == {"done": 0, "failed": 0, "cancelled": 6, "total": 6}
    assert cancel.json()["failures"] == []
    retry = api_client(staff_user).post(f"/api/jobs/{parent.pk}/retry-failed")
    assert retry.status_code == 202 and len(retry.json()["retried"]) == 6
    assert retry.json()["progress"] == {"done": 0, "failed": 0, "cancelled": 0, "total": 6}
    drain_jobs()
    parent.refresh_from_db()
    assert (parent.status, parent.progress_done, parent.progress_failed) == ("completed", 6, 0)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"start_date": "2026-09-01", "end_date": "2026-08-01"}, 400),
        ({"start_date": "2023-01-01", "end_date": "2026-01-01"}, 400),  # 37 months
        ({"start_date": "2023-02-01", "end_date": "2026-01-31"}, 202),  # 36 months
        ({"start_date": "bad", "end_date": "2026-01-01"}, 400),
        ({"start_date": "2026-01-01"}, 400),
    ],
)
def test_ranges_are_checked(api_client, staff_user, partner, body, status):
    response = api_client(staff_user).post(f"/api/partners/{partner.pk}/recalculate", body)
    assert response.status_code == status, response.content
    if status == 400:
        assert not Job.objects.exists()


def test_who_may_recalculate_a_partner(api_client, partner):
    partner_manager, kid_manager, partner_viewer = UserFactory(), UserFactory(), UserFactory()
    MembershipFactory(user=partner_manager, customer=partner, role="manager")
    MembershipFactory(user=kid_manager, customer=partner.children.first(), role="manager")
    MembershipFactory(user=partner_viewer, customer=partner, role="viewer")
    assert post(api_client(partner_manager), partner.pk).status_code == 202
    # The partner is not the kid's manager's to see: as if it did not exist.
    assert post(api_client(kid_manager), partner.pk).status_code == 404
    assert post(api_client(partner_viewer), partner.pk).status_code == 403
    assert post(api_client(partner_manager), 987654).status_code == 404
