"""Every branch of the seed's activate and cancel flowcharts, against the Nina simulator over
HTTP."""

import datetime as dt

import pytest
from django.utils import timezone

from telcost.addons.models import AddonLog, CustomerAddon, NinaRequestLimit
from telcost.jobs.models import Job
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def modify(client, customer_id, action="activate", addon_type="data_boost"):
    return client.post(
        f"/simaction/simcard/modify-addons/{customer_id}",
        {"addonsAction": action, "addon_type": addon_type},
    )


def test_activate_calls_nina_and_records_the_addon(api_client, nina, reseller_world, drain_jobs):
    _, customer, manager = reseller_world
    response = modify(api_client(manager), customer.pk)
    assert response.status_code == 202 and response.json()["status"] == "success"
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.steps.get().name == "ActivateRoutitAddonsCommand"
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "completed"
    addon = CustomerAddon.objects.get()
    assert (
        addon.status == "active"
        and addon.data_mb == 5120
        and addon.provider_reference.startswith("NINA-")
    )
    assert nina.state.addons["RT42"][0]["status"] == "active"
    log = AddonLog.objects.get()
    assert (log.action, log.outcome, log.user, log.addon_type) == (
        "activate",
        "success",
        manager,
        "data_boost",
    )
    listed = api_client(manager).get(f"/api/customers/{customer.pk}/addons").json()
    assert (
        listed["addons"][0]["status"] == "active" and listed["history"][0]["outcome"] == "success"
    )


def test_boosts_stack_and_cancel_ends_the_most_recent(api_client, nina, reseller_world, drain_jobs):
    _, customer, manager = reseller_world
    client = api_client(manager)
    for _ in range(2):
        modify(client, customer.pk)
        drain_jobs()
    assert CustomerAddon.objects.filter(status="active").count() == 2
    newest = CustomerAddon.objects.order_by("-activated_at", "-pk").first()
    assert modify(client, customer.pk, "cancel").status_code == 202
    drain_jobs()
    newest.refresh_from_db()
    assert newest.status == "cancelled" and newest.cancelled_at is not None
    assert CustomerAddon.objects.filter(status="active").count() == 1


def test_cancel_with_none_active_is_409_without_a_call_or_a_slot(api_client, nina, reseller_world):
    _, customer, manager = reseller_world
    response = modify(api_client(manager), customer.pk, "cancel")
    assert response.status_code == 409 and "no active data_boost" in response.json()["error"]
    assert (
        nina.state.calls == 0 and not NinaRequestLimit.objects.exists() and not Job.objects.exists()
    )


def test_unauthorized_is_403_and_nothing_is_dispatched(api_client, nina, reseller_world):
    _, customer, _ = reseller_world
    own_manager = UserFactory()
    MembershipFactory(user=own_manager, customer=customer, role="manager")
    response = modify(api_client(own_manager), customer.pk)
    assert response.status_code == 403 and response.json() == {"error": "Unauthorized"}
    assert modify(api_client(), customer.pk).status_code == 401
    assert not Job.objects.exists() and nina.state.calls == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"addonsAction": "explode", "addon_type": "data_boost"}, 400),
        ({"addonsAction": "activate", "addon_type": "unicorn"}, 400),
        ({"addon_type": "data_boost"}, 400),
    ],
)
def test_bad_requests_are_400(api_client, nina, reseller_world, body, status):
    _, customer, manager = reseller_world
    response = api_client(manager).post(f"/simaction/simcard/modify-addons/{customer.pk}", body)
    assert response.status_code == status and not Job.objects.exists()


def test_an_unknown_customer_is_404(api_client, nina, reseller_world):
    assert modify(api_client(reseller_world[2]), 987654).status_code == 404


def test_the_local_window_answers_429_at_the_eleventh_request(api_client, nina, reseller_world):
    _, customer, manager = reseller_world
    now = timezone.now()
    NinaRequestLimit.objects.bulk_create(
        [NinaRequestLimit(customer=customer, request_time=now) for _ in range(10)]
    )
    response = modify(api_client(manager), customer.pk)
    assert response.status_code == 429 and response.json() == {
        "error": "Too many requests",
        "retry_after": 60,
    }
    assert response["Retry-After"] == "60" and not Job.objects.exists()
    NinaRequestLimit.objects.update(request_time=now - dt.timedelta(seconds=61))
    assert modify(api_client(manager), customer.pk).status_code == 202


def test_the_handler_waits_for_a_slot_when_other_calls_filled_the_window(
    api_client, nina, reseller_world, drain_jobs
):
    _, customer, manager = reseller_world
    job = Job.objects.get(pk=modify(api_client(manager), customer.pk).json()["job_id"])
    # Calls made meanwhile by others (a sync): the window is full for 2 more seconds.
    frees_at = timezone.now() + dt.timedelta(seconds=2)
    NinaRequestLimit.objects.bulk_create(
        [
            NinaRequestLimit(customer=customer, request_time=frees_at - dt.timedelta(seconds=60))
            for _ in range(10)
        ]
    )
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "completed" and AddonLog.objects.get().outcome == "success"
    assert nina.state.calls == 1 and nina.state.call_times[0] >= frees_at.timestamp() - 0.05


def test_a_429_from_nina_fails_with_too_many_requests(api_client, nina, reseller_world, drain_jobs):
    _, customer, manager = reseller_world
    nina.misbehave("429", 1)
    job = Job.objects.get(pk=modify(api_client(manager), customer.pk).json()["job_id"])
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "ActivateRoutitAddonsCommand: Too many requests"
    assert not CustomerAddon.objects.exists() and AddonLog.objects.get().outcome == "rate_limited"


@pytest.mark.parametrize("mode", ["500"])
def test_other_answers_fail_with_api_failure_and_are_logged(
    api_client, nina, reseller_world, drain_jobs, mode
):
    from django_tasks_db.models import DBTaskResult

    _, customer, manager = reseller_world
    nina.misbehave(mode)
    job = Job.objects.get(pk=modify(api_client(manager), customer.pk).json()["job_id"])
    for _ in range(3):  # a 500 is retried with backoff first
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        drain_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and "API failure" in job.error
    assert not CustomerAddon.objects.exists()
    log = AddonLog.objects.get()
    assert log.outcome == "api_failure" and "API failure" in log.error
    assert "test-nina-key" not in job.error + log.error


def test_a_transient_500_then_success_activates(api_client, nina, reseller_world, drain_jobs):
    from django_tasks_db.models import DBTaskResult

    _, customer, manager = reseller_world
    nina.misbehave("500", 1)
    job = Job.objects.get(pk=modify(api_client(manager), customer.pk).json()["job_id"])
    drain_jobs()
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "completed" and job.steps.get().attempts == 2
    assert CustomerAddon.objects.get().status == "active"


def test_a_timeout_on_every_attempt_fails_and_leaves_the_outcome_to_be_checked(
    api_client, nina, reseller_world, drain_jobs, monkeypatch, settings
):
    from django_tasks_db.models import DBTaskResult

    _, customer, manager = reseller_world
    monkeypatch.setenv("NINA_SIMULATOR_SLOW_SECONDS", "2")
    settings.NINA_API_TIMEOUT = 0.3
    nina.misbehave("slow")
    job = Job.objects.get(pk=modify(api_client(manager), customer.pk).json()["job_id"])
    for _ in range(3):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        drain_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and "API failure: timeout" in job.error
    assert AddonLog.objects.get().outcome == "unknown"


def test_a_wrong_api_key_is_an_api_failure_that_never_shows_the_key(
    api_client, nina, reseller_world, drain_jobs, settings
):
    _, customer, manager = reseller_world
    settings.NINA_API_KEY = "wrong-secret-key"
    job = Job.objects.get(pk=modify(api_client(manager), customer.pk).json()["job_id"])
    drain_jobs()
    job.refresh_from_db()
    assert (
        job.status == "failed"
        and "API failure: HTTP 401" in job.error
        and "wrong-secret-key" not in job.error
    )
