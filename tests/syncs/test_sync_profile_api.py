"""Sync profiles kept through the API: the list, PATCH, DELETE and the connection test
(SPEC part 2, "Master data"). Staff change; managers and viewers read; credentials never shown."""

import datetime as dt
import json
import socket
import time

import pytest
from django.utils import timezone

from telcost.audit.models import AuditEntry
from telcost.jobs.models import Job
from telcost.syncs.credentials import credentials_decrypt
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.profiles import sync_profile_create
from telcost.syncs.services import sync_manual_dispatch, syncs_run_scheduled
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.syncs.conftest import PROFILE_SECRET

pytestmark = pytest.mark.django_db

SECRET = PROFILE_SECRET


@pytest.fixture
def other_manager(db):
    """A manager of another customer: this customer's profiles are none of theirs."""
    user = UserFactory(username="other-manager")
    MembershipFactory(user=user, customer=CustomerFactory(name="Other BV"), role="manager")
    return user


def listing(client, customer):
    return client.get(f"/api/customers/{customer.pk}/sync-profiles")


def patch(client, profile, body):
    return client.patch(f"/api/sync-profiles/{profile.pk}", body)


def stored(profile) -> dict:
    """The row as it is now (deleted or not), credentials opened."""
    row = SyncProfile.with_deleted.get(pk=profile.pk)
    return {
        "name": row.name,
        "settings": row.settings,
        "credentials": credentials_decrypt(row.credentials_encrypted),
        "schedule": row.schedule,
        "active": row.active,
        "deleted_at": row.deleted_at,
    }


# --- the list -------------------------------------------------------------------------------


def test_the_list_is_paged_with_last_task_and_next_run_and_never_the_credentials(
    api_client, profile, customer, manager, viewer, staff_user
):
    task = sync_manual_dispatch(profile=profile, cycle_start=dt.date(2026, 9, 1), user=manager)
    for user in (staff_user, manager, viewer):
        response = listing(api_client(user), customer)
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
        body = response.json()
        assert (body["count"], body["page"], body["page_size"]) == (1, 1, 50)
        item = body["items"][0]
        assert item["has_credentials"] is True and "credentials" not in item
        assert item["last_task"]["id"] == task.pk
        assert item["last_task"]["by"] == "manager" and item["last_task"]["status"] == "pending"
        next_run = dt.datetime.fromisoformat(item["next_run"])
        local = timezone.localtime(next_run)
        assert (local.hour, local.minute) == (3, 0) and next_run > timezone.now()


def test_a_profile_that_never_ran_and_has_no_schedule(api_client, customer, viewer):
    sync_profile_create(
        customer=customer,
        name="Drop",
        provider="file_drop",
        settings={"path": "/tmp"},
        credentials={},
    )
    item = listing(api_client(viewer), customer).json()["items"][0]
    assert item["last_task"] is None and item["next_run"] is None
    assert item["has_credentials"] is False


def test_the_list_pages(api_client, customer, viewer):
    for n in range(3):
        sync_profile_create(
            customer=customer, name=f"p{n}", provider="routit", settings={}, credentials={}
        )
    body = (
        api_client(viewer)
        .get(f"/api/customers/{customer.pk}/sync-profiles?page=2&page_size=2")
        .json()
    )
    assert body["count"] == 3 and [i["name"] for i in body["items"]] == ["p2"]
    assert (
        api_client(viewer)
        .get(f"/api/customers/{customer.pk}/sync-profiles?page_size=501")
        .status_code
        == 400
    )


def test_the_list_refuses_others_and_anonymous(api_client, profile, customer, other_manager):
    assert listing(api_client(other_manager), customer).status_code == 404
    assert listing(api_client(), customer).status_code == 401


# --- PATCH ----------------------------------------------------------------------------------


def test_staff_change_a_profile_and_credentials_left_out_are_kept(
    api_client, profile, staff_user, provider_sim
):
    response = patch(
        api_client(staff_user),
        profile,
        {
            "name": "Provider Y",
            "settings": {"base_url": provider_sim.base_url + "/v2", "timeout_s": 20},
            "schedule": "30 6 * * 1-5",
            "active": False,
        },
    )
    assert response.status_code == 200, response.content
    assert SECRET not in response.content.decode()
    body = response.json()
    assert body["name"] == "Provider Y" and body["has_credentials"] and not body["active"]
    assert body["next_run"] is None  # inactive: the scheduler will not run it
    now = stored(profile)
    assert now["credentials"] == {"api_key": SECRET}
    assert now["settings"] == {"base_url": provider_sim.base_url + "/v2", "timeout_s": 20}
    assert now["schedule"] == "30 6 * * 1-5" and now["active"] is False


def test_new_credentials_replace_the_old_ones(api_client, profile, staff_user):
    response = patch(api_client(staff_user), profile, {"credentials": {"api_key": "key-new"}})
    assert response.status_code == 200
    assert stored(profile)["credentials"] == {"api_key": "key-new"}


def test_schedule_null_clears_it_and_a_new_one_counts_from_now(api_client, profile, staff_user):
    long_ago = timezone.now() - dt.timedelta(days=30)
    SyncProfile.objects.filter(pk=profile.pk).update(last_scheduled_run_at=long_ago)
    body = patch(api_client(staff_user), profile, {"schedule": None}).json()
    assert body["schedule"] == "" and body["next_run"] is None
    before = timezone.now()
    body = patch(api_client(staff_user), profile, {"schedule": "*/5 * * * *"}).json()
    # Not due at once for the month it had no schedule: the next run is after the change.
    assert dt.datetime.fromisoformat(body["next_run"]) > before
    assert syncs_run_scheduled() == 0 and not SyncTask.objects.exists()


def test_reactivating_does_not_make_up_missed_runs(api_client, profile, staff_user):
    patch(api_client(staff_user), profile, {"active": False})
    SyncProfile.objects.filter(pk=profile.pk).update(
        last_scheduled_run_at=timezone.now() - dt.timedelta(days=3)
    )
    body = patch(api_client(staff_user), profile, {"active": True}).json()
    assert dt.datetime.fromisoformat(body["next_run"]) > timezone.now()
    assert syncs_run_scheduled() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": None}, "name"),
        ({"active": None}, "active"),
        ({"settings": None}, "settings"),
        ({"credentials": None}, "credentials"),
        ({"settings": {"base_url": "ftp://x"}}, "settings.base_url"),
        ({"settings": {"base_url": "http://x", "color": "red"}}, "settings.color"),
        ({"settings": {"base_url": "http://x", "timeout_s": 0}}, "settings.timeout_s"),
        ({"settings": {"base_url": "http://x", "timeout_s": "9"}}, "settings.timeout_s"),
        ({"credentials": {"api_key": ""}}, "credentials.api_key"),
        ({"credentials": {"api_key": 42}}, "credentials.api_key"),
        ({"credentials": {"password": "x"}}, "credentials.password"),
        ({"schedule": "every night"}, "schedule"),
        ({"schedule": "61 * * * *"}, "schedule"),
        ({"schedule": "0 3 * * * *"}, "schedule"),
        ({"schedule": "0 0 30 2 *"}, "schedule"),
        ({"schedule": 5}, "schedule"),
        ({"active": "maybe"}, "active"),
        ({"settings": ["a"]}, "settings"),
    ],
)
def test_bad_changes_are_400_naming_the_field_and_change_nothing(
    api_client, profile, staff_user, body, field
):
    before = stored(profile)
    entries = AuditEntry.objects.count()
    response = patch(api_client(staff_user), profile, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]
    assert stored(profile) == before and AuditEntry.objects.count() == entries


def test_an_internal_address_is_refused_for_http_api(api_client, profile, staff_user, settings):
    settings.TELCOST_ALLOW_PRIVATE_PROVIDER_URLS = False
    before = stored(profile)
    for url in ("http://127.0.0.1:8000/", "http://169.254.169.254/latest", "http://10.1.2.3/"):
        response = patch(api_client(staff_user), profile, {"settings": {"base_url": url}})
        assert response.status_code == 400
        assert response.json()["error"].startswith("settings.base_url:")
    assert stored(profile) == before


def test_a_file_drop_folder_must_stay_under_the_drop_root(
    api_client, customer, staff_user, settings, tmp_path
):
    (tmp_path / "drop" / "acme").mkdir(parents=True)
    settings.TELCOST_DROP_ROOT = str(tmp_path / "drop")
    drop = sync_profile_create(
        customer=customer,
        name="d",
        provider="file_drop",
        settings={"path": "acme"},
        credentials={},
    )
    response = patch(api_client(staff_user), drop, {"settings": {"path": "../../etc"}})
    assert response.status_code == 400 and "settings.path" in response.json()["error"]
    assert stored(drop)["settings"] == {"path": "acme"}


def test_only_staff_change_and_others_see_no_profile(
    api_client, profile, manager, viewer, other_manager
):
    before = stored(profile)
    assert patch(api_client(manager), profile, {"name": "m"}).status_code == 403
    assert patch(api_client(viewer), profile, {"name": "v"}).status_code == 403
    assert patch(api_client(other_manager), profile, {"name": "o"}).status_code == 404
    assert patch(api_client(), profile, {"name": "a"}).status_code == 401
    assert stored(profile) == before


def test_an_unknown_profile_is_404(api_client, staff_user):
    assert (
        api_client(staff_user).patch("/api/sync-profiles/987654", {"name": "x"}).status_code == 404
    )
    assert api_client(staff_user).delete("/api/sync-profiles/987654").status_code == 404
    assert api_client(staff_user).post("/api/sync-profiles/987654/test").status_code == 404


# --- audit ----------------------------------------------------------------------------------


def test_changes_are_audited_with_the_credentials_masked(api_client, profile, staff_user):
    patch(
        api_client(staff_user),
        profile,
        {"name": "Renamed", "credentials": {"api_key": "key-rotated-5678"}},
    )
    entry = AuditEntry.objects.filter(object_type="sync_profile", action="changed").get()
    assert entry.actor == "staff" and entry.object_id == profile.pk
    assert entry.changes["name"] == ["Provider X", "Renamed"]
    assert entry.changes["credentials_encrypted"] == ["***", "***"]
    text = json.dumps(list(AuditEntry.objects.values("changes", "object_name")))
    assert SECRET not in text and "key-rotated-5678" not in text


# --- DELETE ---------------------------------------------------------------------------------


def test_delete_keeps_the_tasks_and_stops_the_schedule(
    api_client, profile, customer, staff_user, manager
):
    task = sync_manual_dispatch(profile=profile, cycle_start=dt.date(2026, 9, 1), user=manager)
    SyncProfile.objects.filter(pk=profile.pk).update(
        schedule="* * * * *", last_scheduled_run_at=timezone.now() - dt.timedelta(hours=1)
    )
    response = api_client(staff_user).delete(f"/api/sync-profiles/{profile.pk}")
    assert response.status_code == 204
    assert stored(profile)["deleted_at"] is not None
    # History kept: the task, and its status for whoever may sync.
    assert SyncTask.objects.filter(pk=task.pk, profile_id=profile.pk).exists()
    assert api_client(manager).get(f"/api/sync-task/{task.pk}/status").status_code == 200
    # Gone for everyone else: the list, the profile, a manual sync, the scheduler.
    assert listing(api_client(staff_user), customer).json()["count"] == 0
    assert api_client(staff_user).get(f"/api/sync-profiles/{profile.pk}").status_code == 404
    assert patch(api_client(staff_user), profile, {"name": "x"}).status_code == 404
    sync = api_client(manager).post(
        "/sync-profile/manual-sync", {"sync_profile_id": profile.pk, "date": "2026-10-01"}
    )
    assert sync.status_code == 404
    jobs = Job.objects.count()
    assert syncs_run_scheduled() == 0 and Job.objects.count() == jobs
    entry = AuditEntry.objects.get(object_type="sync_profile", action="deleted")
    assert entry.actor == "staff" and entry.changes["credentials_encrypted"] == ["***", None]
    assert SECRET not in json.dumps(entry.changes)


def test_a_sync_queued_before_the_delete_does_not_run(
    api_client, profile, staff_user, manager, drain_jobs
):
    task = sync_manual_dispatch(profile=profile, cycle_start=dt.date(2026, 9, 1), user=manager)
    api_client(staff_user).delete(f"/api/sync-profiles/{profile.pk}")
    drain_jobs()
    task.refresh_from_db()
    assert task.status == "failed" and "deleted" in task.error and task.fetched == 0


def test_the_scheduler_never_runs_an_inactive_profile(profile):
    SyncProfile.objects.filter(pk=profile.pk).update(
        schedule="* * * * *",
        active=False,
        last_scheduled_run_at=timezone.now() - dt.timedelta(hours=1),
    )
    assert syncs_run_scheduled() == 0 and not SyncTask.objects.exists()


def test_only_staff_delete(api_client, profile, manager, viewer, other_manager):
    for user, status in ((manager, 403), (viewer, 403), (other_manager, 404), (None, 401)):
        assert api_client(user).delete(f"/api/sync-profiles/{profile.pk}").status_code == status
    assert stored(profile)["deleted_at"] is None


# --- the connection test --------------------------------------------------------------------


def connection_test(client, profile):
    return client.post(f"/api/sync-profiles/{profile.pk}/test")


def test_the_connection_test_reaches_the_simulator(api_client, profile, staff_user, provider_sim):
    body = connection_test(api_client(staff_user), profile).json()
    month = f"{timezone.localdate():%Y-%m}"
    assert body == {"ok": True, "message": f"the first page of {month} holds 100 records"}
    assert provider_sim.state.asked  # a real call


def test_refused_credentials_say_so(api_client, profile, staff_user):
    patch(api_client(staff_user), profile, {"credentials": {"api_key": "wrong"}})
    body = connection_test(api_client(staff_user), profile).json()
    assert body == {"ok": False, "message": "the provider refused the credentials (HTTP 401)"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_closed_port_is_a_neutral_failure_in_time(api_client, profile, staff_user):
    SyncProfile.objects.filter(pk=profile.pk).update(
        settings={"base_url": f"http://127.0.0.1:{closed_port()}"}
    )
    started = time.monotonic()
    body = connection_test(api_client(staff_user), profile).json()
    assert time.monotonic() - started < 10
    assert body == {"ok": False, "message": "the provider could not be reached"}


def test_a_provider_that_does_not_answer_is_given_up_within_10_seconds(
    api_client, profile, staff_user, provider_sim
):
    provider_sim.control(mode="slow", slow_s=12)
    started = time.monotonic()
    body = connection_test(api_client(staff_user), profile).json()
    assert time.monotonic() - started < 10
    assert body == {"ok": False, "message": "the provider could not be reached"}
    provider_sim.control(mode="ok")


def test_a_drop_folder_is_tested_too(api_client, customer, staff_user, tmp_path):
    (tmp_path / "a.csv").write_text("x")
    drop = sync_profile_create(
        customer=customer,
        name="d",
        provider="file_drop",
        settings={"path": str(tmp_path)},
        credentials={},
    )
    assert connection_test(api_client(staff_user), drop).json() == {
        "ok": True,
        "message": "the drop folder holds 1 CSV files",
    }
    (tmp_path / "a.csv").unlink()
    tmp_path.rmdir()
    body = connection_test(api_client(staff_user), drop).json()
    assert body["ok"] is False and "does not exist" in body["message"]


@pytest.mark.django_db(transaction=True)
def test_routit_is_tested_over_the_nina_api_in_the_customers_window(
    api_client, customer, staff_user, settings
):
    from telcost.addons.models import NinaRequestLimit
    from telcost.simulators.nina import start_nina_simulator

    base_url, _, stop = start_nina_simulator(api_key="k")
    settings.NINA_API_URL, settings.NINA_API_KEY = base_url, "k"
    try:
        routit = sync_profile_create(
            customer=customer, name="routit", provider="routit", settings={}, credentials={}
        )
        body = connection_test(api_client(staff_user), routit).json()
        assert body["ok"] is True, body
        assert NinaRequestLimit.objects.filter(customer=customer).count() == 1
        now = timezone.now()
        NinaRequestLimit.objects.bulk_create(
            [NinaRequestLimit(customer=customer, request_time=now) for _ in range(10)]
        )
        body = connection_test(api_client(staff_user), routit).json()
        assert body["ok"] is False and "Nina window" in body["message"]
    finally:
        stop()


def test_only_staff_test_a_connection(
    api_client, profile, manager, viewer, other_manager, provider_sim
):
    for user, status in ((manager, 403), (viewer, 403), (other_manager, 404), (None, 401)):
        assert connection_test(api_client(user), profile).status_code == status
    assert not provider_sim.state.asked
