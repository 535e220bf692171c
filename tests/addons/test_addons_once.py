"""Items 6-9 of issue 13: one boost per request, once at the provider, and the per-customer window.

Real Nina simulator over HTTP; the workers are this process (drain_jobs) or real
`telcost worker` subprocesses where a timeout must really pass.
"""

import datetime as dt

import httpx
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from telcost.addons.models import AddonLog, CustomerAddon, NinaRequestLimit
from telcost.jobs.models import Job
from tests.conftest import wait_for
from tests.factories import UserFactory


def modify(client, customer_id, action="activate", addon_type="data_boost", **extra):
    return client.post(
        f"/simaction/simcard/modify-addons/{customer_id}",
        {"addonsAction": action, "addon_type": addon_type},
        **extra,
    )


def active_at_nina(nina, ref="RT42") -> int:
    return sum(1 for entry in nina.state.addons.get(ref, []) if entry["status"] == "active")


def run_ready(drain_jobs, rounds=4):
    for _ in range(rounds):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        drain_jobs()


# --- 6: a double click buys one boost ---------------------------------------------------------


@pytest.mark.django_db
def test_a_second_identical_request_while_the_first_is_pending_returns_that_job(
    api_client, nina, reseller_world, drain_jobs
):
    _, customer, manager = reseller_world
    client = api_client(manager)
    first, second = modify(client, customer.pk), modify(client, customer.pk)
    assert first.status_code == second.status_code == 202
    assert first.json()["job_id"] == second.json()["job_id"]
    other = modify(client, customer.pk, addon_type="eu_roaming")
    assert other.json()["job_id"] != first.json()["job_id"]
    drain_jobs()
    assert active_at_nina(nina) == 2 and CustomerAddon.objects.filter(status="active").count() == 2
    assert nina.state.calls == 2
    # Once the first has ended, the same request is a new one: a second boost on purpose.
    third = modify(client, customer.pk)
    assert third.status_code == 202 and third.json()["job_id"] != first.json()["job_id"]


# --- 7: applied once at the provider, whatever the answer -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_call_that_timed_out_after_nina_applied_it_is_checked_not_repeated(
    api_client, nina, reseller_world, start_worker, monkeypatch
):
    _, customer, manager = reseller_world
    monkeypatch.setenv("NINA_SIMULATOR_SLOW_SECONDS", "1.5")
    nina.misbehave("timeout_after_apply", 1)
    start_worker(NINA_API_URL=nina.base_url, NINA_API_KEY="test-nina-key", NINA_API_TIMEOUT="0.4")
    job_id = modify(api_client(manager), customer.pk).json()["job_id"]
    wait_for(
        lambda: Job.objects.filter(pk=job_id).exclude(status__in=Job.ACTIVE).exists(),
        timeout=40,
        message="the activation to end",
    )
    job = Job.objects.get(pk=job_id)
    assert job.status == "completed", job.error
    assert active_at_nina(nina) == 1
    assert CustomerAddon.objects.filter(status="active").count() == 1
    log = AddonLog.objects.get()
    assert log.outcome == "success"
    # The provider knows the change by telcost's reference: the addon_log id.
    assert [e["reference"] for e in nina.state.addons["RT42"]] == [str(log.pk)]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_nina_applied_its_call_leaves_one_activation(
    api_client, nina, reseller_world, start_worker, monkeypatch
):
    _, customer, manager = reseller_world
    monkeypatch.setenv("NINA_SIMULATOR_SLOW_SECONDS", "4")
    nina.misbehave("timeout_after_apply", 1)
    fast_recovery = {
        "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
        "TELCOST_JOBS_STALE_AFTER_SECONDS": "1.5",
        "TELCOST_JOBS_SWEEP_SECONDS": "0.3",
        "NINA_API_URL": nina.base_url,
        "NINA_API_KEY": "test-nina-key",
        "NINA_API_TIMEOUT": "30",
    }
    first = start_worker("first", **fast_recovery)
    job_id = modify(api_client(manager), customer.pk).json()["job_id"]
    # Nina has applied the call; the worker waits for its answer and dies.
    wait_for(lambda: active_at_nina(nina) == 1, timeout=20, message="Nina to apply the call")
    first.kill()
    first.wait(timeout=10)
    start_worker("second", **fast_recovery)
    wait_for(
        lambda: Job.objects.filter(pk=job_id).exclude(status__in=Job.ACTIVE).exists(),
        timeout=40,
        message="the activation to end",
    )
    job = Job.objects.get(pk=job_id)
    assert job.status == "completed", job.error
    assert job.steps.get().attempts == 2
    assert active_at_nina(nina) == 1 and CustomerAddon.objects.filter(status="active").count() == 1
    assert AddonLog.objects.get().outcome == "success"


@pytest.mark.django_db(transaction=True)
def test_a_provider_too_slow_to_ask_applies_once_and_telcost_records_what_it_holds_later(
    api_client, nina, reseller_world, start_worker, monkeypatch
):
    from telcost.addons.services import addon_outcomes_settle

    _, customer, manager = reseller_world
    monkeypatch.setenv("NINA_SIMULATOR_SLOW_SECONDS", "1.2")
    nina.misbehave("slow")  # every call, the checks too: slower than telcost waits
    start_worker(NINA_API_URL=nina.base_url, NINA_API_KEY="test-nina-key", NINA_API_TIMEOUT="0.4")
    job_id = modify(api_client(manager), customer.pk).json()["job_id"]
    wait_for(
        lambda: Job.objects.filter(pk=job_id).exclude(status__in=Job.ACTIVE).exists(),
        timeout=40,
        message="the activation to end",
    )
    job = Job.objects.get(pk=job_id)
    assert (
        job.status == "failed"
        and "API failure: timeout" in job.error
        and "checked again" in job.error
    )
    assert AddonLog.objects.get().outcome == "unknown" and not CustomerAddon.objects.exists()
    wait_for(lambda: active_at_nina(nina) == 1, timeout=5, message="Nina to apply the first call")
    nina.misbehave("ok")
    assert addon_outcomes_settle() == 1
    assert active_at_nina(nina) == 1 and CustomerAddon.objects.get().status == "active"
    assert AddonLog.objects.get().outcome == "success"
    assert addon_outcomes_settle() == 0 and CustomerAddon.objects.count() == 1


@pytest.mark.django_db
def test_a_2xx_whose_body_cannot_be_read_is_done_with_its_first_bytes_logged(
    api_client, nina, reseller_world, drain_jobs
):
    _, customer, manager = reseller_world
    nina.misbehave("garbage", 1)
    job_id = modify(api_client(manager), customer.pk).json()["job_id"]
    run_ready(drain_jobs)
    job = Job.objects.get(pk=job_id)
    assert job.status == "completed", job.error
    assert active_at_nina(nina) == 1 and CustomerAddon.objects.get().status == "active"
    log = AddonLog.objects.get()
    assert log.outcome == "success" and "<html>surprise</html>" in log.error
    assert nina.state.calls == 1


@pytest.mark.django_db
def test_nina_applies_a_reference_once_and_lists_what_it_holds(nina, settings):
    from telcost.integrations.nina.client import NinaClient

    client = NinaClient()
    first = client.change_addon(
        customer_ref="RT9", addon="data_boost", action="activate", reference="77"
    )
    again = client.change_addon(
        customer_ref="RT9", addon="data_boost", action="activate", reference="77"
    )
    assert again == first and first.reference == "77"
    listed = client.list_addons(customer_ref="RT9")
    assert [(a.reference, a.addon, a.status) for a in listed] == [("77", "data_boost", "active")]
    raw = httpx.post(
        f"{nina.base_url}/customers/RT9/addons",
        json={"addon": "data_boost", "action": "activate"},
        headers={"X-Api-Key": "test-nina-key", "Idempotency-Key": "77"},
    )
    assert (
        raw.json() == first.model_dump(exclude_unset=True) | raw.json()
        and active_at_nina(nina, "RT9") == 1
    )


# --- 8: the eleventh accepted request in a minute -------------------------------------------


@pytest.mark.django_db
def test_the_eleventh_request_accepted_within_a_minute_is_429_at_once(
    api_client, nina, reseller_world, drain_jobs
):
    _, customer, manager = reseller_world
    client = api_client(manager)
    types = ["data_boost", "eu_roaming", "world_roaming"]
    accepted = [modify(client, customer.pk, addon_type=t) for t in types]
    drain_jobs()
    accepted += [modify(client, customer.pk, addon_type=t) for t in types]
    accepted += [modify(client, customer.pk, "cancel", addon_type=t) for t in types]
    drain_jobs()
    accepted.append(modify(client, customer.pk))  # the tenth
    assert [r.status_code for r in accepted] == [202] * 10
    eleventh = modify(client, customer.pk, addon_type="eu_roaming")
    assert eleventh.status_code == 429
    body = eleventh.json()
    assert body["error"] == "Too many requests" and 1 <= body["retry_after"] <= 60
    assert eleventh["Retry-After"] == str(body["retry_after"])
    assert Job.objects.count() == 10
    drain_jobs()
    assert set(Job.objects.values_list("status", flat=True)) == {"completed"}
    assert nina.state.calls == 10


# --- 9: routit syncs count in the window -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_routit_sync_calls_count_in_the_window_and_wait_for_a_slot(
    api_client, nina, reseller_world, drain_jobs
):
    from telcost.syncs.profiles import sync_profile_create

    partner, customer, _ = reseller_world
    staff = UserFactory(is_staff=True)
    full_until = timezone.now() + dt.timedelta(seconds=3)
    NinaRequestLimit.objects.bulk_create(
        [
            NinaRequestLimit(customer=customer, request_time=full_until - dt.timedelta(seconds=60))
            for _ in range(10)
        ]
    )
    profile = sync_profile_create(
        customer=customer, name="routit", provider="routit", settings={}, credentials={}
    )
    answer = api_client(staff).post(
        "/sync-profile/manual-sync", {"sync_profile_id": profile.pk, "date": "2026-09-12"}
    )
    assert answer.status_code == 202
    run_ready(drain_jobs, rounds=3)
    job = Job.objects.get(pk=answer.json()["job_id"])
    assert job.status == "completed", job.error
    calls = nina.state.customer_calls["RT42"]
    assert len(calls) == 3  # 120 records, 50 a page
    assert min(calls) >= full_until.timestamp() - 0.05
    assert (
        NinaRequestLimit.objects.filter(customer=customer, request_time__gt=full_until).count() >= 3
    )


@pytest.mark.django_db
def test_the_page_names_the_seconds_to_wait_in_dutch_and_english(nina, reseller_world):
    from django.test import Client

    _, customer, manager = reseller_world
    now = timezone.now()
    NinaRequestLimit.objects.bulk_create(
        [
            NinaRequestLimit(customer=customer, request_time=now - dt.timedelta(seconds=15))
            for _ in range(10)
        ]
    )
    client = Client()
    client.force_login(manager)
    form = {
        "action_type": "addons",
        "customer_id": customer.pk,
        "addon_type": "data_boost",
        "addonsAction": "activate",
    }
    dutch = client.post("/admin/sim-cards/simacties/submit", form)
    assert dutch.status_code == 429 and dutch["Retry-After"] in ("45", "46")
    assert f"Probeer het over {dutch['Retry-After']} seconden opnieuw" in dutch.content.decode()
    client.cookies["django_language"] = "en"
    english = client.post("/admin/sim-cards/simacties/submit", form).content.decode()
    assert "Too many requests: at most 10 a minute. Try again in" in english
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_customers_reference_is_one_path_segment_at_nina(
    api_client, nina, reseller_world, drain_jobs
):
    _, customer, manager = reseller_world
    customer.external_ref = "RT/42?x=1"
    customer.save()
    job_id = modify(api_client(manager), customer.pk).json()["job_id"]
    drain_jobs()
    assert Job.objects.get(pk=job_id).status == "completed"
    assert active_at_nina(nina, "RT%2F42%3Fx%3D1") == 1
