"""Workflow 4 under faults: slow, limited, looping and lost providers, and jobs that end behind the
handler's back."""

import pytest
from django.utils import timezone

from telcost.jobs.models import Job
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.profiles import sync_profile_create
from telcost.usage.models import CDR
from tests.syncs.test_syncs import run_all, status, sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_backoff(monkeypatch):
    monkeypatch.setattr("telcost.integrations.providers.http_api.BACKOFF_S", 0.01)


def test_a_page_slower_than_the_timeout_is_asked_again(
    api_client, customer, manager, drain_jobs, provider_sim, fast_backoff
):
    profile = sync_profile_create(
        customer=customer,
        name="slow",
        provider="http_api",
        settings={"base_url": provider_sim.base_url, "timeout_s": 0.3},
        credentials={"api_key": "key-slow"},
    )
    provider_sim.control(mode="slow", times=1, slow_s=1.5)
    task_id = sync(api_client(manager), profile.pk).json()["task_id"]
    run_all(drain_jobs)
    answer = status(api_client(manager), task_id)
    assert answer["status"] == "completed", answer
    assert answer["counts"]["imported"] == 250
    assert provider_sim.state.calls == 4  # the timed-out page, then three pages


def test_a_rate_limited_provider_is_waited_for(
    api_client, api_profile, manager, drain_jobs, provider_sim, fast_backoff
):
    provider_sim.control(mode="429", times=3)
    task_id = sync(api_client(manager), api_profile.pk).json()["task_id"]
    run_all(drain_jobs)
    assert status(api_client(manager), task_id)["counts"] == {
        "fetched": 250,
        "imported": 250,
        "duplicates": 0,
        "rejected": 0,
    }


def test_a_provider_whose_pages_point_back_fails_instead_of_reading_forever(
    api_client, api_profile, manager, drain_jobs, provider_sim
):
    provider_sim.control(mode="loop")
    task_id = sync(api_client(manager), api_profile.pk).json()["task_id"]
    run_all(drain_jobs)
    answer = status(api_client(manager), task_id)
    assert answer["status"] == "failed" and "page 1 points back to page 1" in answer["error"]
    assert provider_sim.state.calls == 1


def test_an_answer_that_is_not_a_page_fails_the_sync(
    api_client, customer, manager, drain_jobs, provider_sim
):
    # Nina's control endpoint answers JSON that is not a page of records: the same as a provider
    # gone odd.
    profile = sync_profile_create(
        customer=customer,
        name="odd",
        provider="http_api",
        settings={"base_url": f"{provider_sim.base_url}/_control#"},
        credentials={"api_key": "key-odd"},
    )
    task_id = sync(api_client(manager), profile.pk).json()["task_id"]
    run_all(drain_jobs)
    answer = status(api_client(manager), task_id)
    assert answer["status"] == "failed" and "not a page of records" in answer["error"]
    assert not CDR.objects.exists()


def test_a_job_that_ended_behind_the_handlers_back_shows_failed_and_frees_the_profile(
    api_client, api_profile, manager
):
    first = sync(api_client(manager), api_profile.pk).json()
    # The worker lost for good: the job is failed by the engine without any sync code running.
    Job.objects.filter(pk=first["job_id"]).update(
        status="failed", error="SyncProfileCommand: worker lost 3 times", finished_at=timezone.now()
    )
    answer = status(api_client(manager), first["task_id"])
    assert (
        answer["status"] == "failed"
        and answer["error"] == "SyncProfileCommand: worker lost 3 times"
    )
    second = sync(api_client(manager), api_profile.pk).json()
    assert (
        second["task_id"] != first["task_id"]
        and status(api_client(manager), second["task_id"])["status"] == "pending"
    )


def test_a_cancelled_sync_job_fails_its_task(
    api_client, api_profile, manager, staff_user, django_capture_on_commit_callbacks
):
    from telcost.jobs.services import job_cancel

    first = sync(api_client(manager), api_profile.pk).json()
    with django_capture_on_commit_callbacks(
        execute=True
    ):  # the sync kind's reaction runs after commit
        job_cancel(job=Job.objects.get(pk=first["job_id"]))
    assert SyncTask.objects.get(pk=first["task_id"]).status == "failed"
    assert status(api_client(manager), first["task_id"])["status"] == "failed"


def test_profile_detail_shows_settings_and_tasks_but_never_credentials(
    api_client, api_profile, manager, viewer, outsider
):
    sync(api_client(manager), api_profile.pk)
    answer = api_client(viewer).get(f"/api/sync-profiles/{api_profile.pk}")
    assert answer.status_code == 200
    body = answer.json()
    assert (
        body["provider"] == "http_api"
        and body["has_credentials"]
        and "key-acme" not in answer.content.decode()
    )
    assert [t["status"] for t in body["tasks"]] == ["pending"]
    assert api_client(outsider).get(f"/api/sync-profiles/{api_profile.pk}").status_code == 404
    assert api_client(viewer).get("/api/sync-profiles/987654").status_code == 404


@pytest.mark.parametrize("timeout_s", [0, -1, 301, "10", True])
def test_a_bad_timeout_is_refused(api_client, staff_user, customer, timeout_s):
    response = api_client(staff_user).post(
        "/api/sync-profiles",
        {
            "customer_id": customer.pk,
            "provider": "http_api",
            "settings": {"base_url": "http://127.0.0.1:1", "timeout_s": timeout_s},
            "credentials": {"api_key": "k"},
        },
    )
    assert response.status_code == 400 and "timeout_s" in response.json()["error"]
    assert not SyncProfile.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"provider": "file_drop", "settings": ["not", "a", "dict"]},
        {"provider": "file_drop", "settings": {"path": "/tmp"}, "credentials": "secret"},
        {"provider": "file_drop", "settings": {"path": "/tmp"}, "customer_id": "seven"},
        {"provider": "file_drop", "settings": {"path": "/tmp"}, "customer_id": 987654},
        {"provider": "file_drop", "settings": {"path": "/tmp"}, "schedule": "61 * * * *"},
    ],
)
def test_profiles_with_bad_shapes_are_400(api_client, staff_user, customer, body):
    response = api_client(staff_user).post(
        "/api/sync-profiles", {"customer_id": customer.pk, **body}
    )
    assert response.status_code == 400, response.content
    assert not SyncProfile.objects.exists()


def test_only_staff_create_profiles(api_client, manager, customer):
    response = api_client(manager).post(
        "/api/sync-profiles",
        {"customer_id": customer.pk, "provider": "file_drop", "settings": {"path": "/tmp"}},
    )
    assert response.status_code == 403 and not SyncProfile.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"sync_profile_id": "x", "date": "2026-09-01"},
        {"date": "2026-09-01"},
        {"sync_profile_id": 1, "date": "2026-02-30"},
    ],
)
def test_manual_sync_bad_bodies_are_400_and_queue_nothing(api_client, api_profile, manager, body):
    body = {**body, "sync_profile_id": api_profile.pk} if body.get("sync_profile_id") == 1 else body
    response = api_client(manager).post("/sync-profile/manual-sync", body)
    assert response.status_code == 400, response.content
    assert not SyncTask.objects.exists() and not Job.objects.exists()


def test_database_trouble_is_retried_and_refused_credentials_are_not():
    from django.db import InterfaceError, OperationalError

    from telcost.jobs.errors import PermanentError, TransientError
    from telcost.jobs.registry import get_step

    for name in ("SyncProfileCommand", "DispatchTotalsCommand"):
        definition = get_step(name)
        assert definition.max_attempts > 1
        assert definition.is_transient(
            OperationalError("server closed the connection unexpectedly")
        )
        assert definition.is_transient(InterfaceError("connection already closed"))
        assert definition.is_transient(TransientError("the provider is unavailable: HTTP 503"))
        assert not definition.is_transient(
            PermanentError("the provider refused the credentials (HTTP 401)")
        )


def test_credentials_sealed_with_another_key_fail_the_sync_saying_so(
    api_client, api_profile, manager, drain_jobs, settings
):
    from cryptography.fernet import Fernet

    # A key rotated without re-encrypting.
    settings.TELCOST_CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    task_id = sync(api_client(manager), api_profile.pk).json()["task_id"]
    run_all(drain_jobs)
    answer = status(api_client(manager), task_id)
    assert answer["status"] == "failed" and "cannot be decrypted" in answer["error"]
    assert "key-acme" not in answer["error"]
