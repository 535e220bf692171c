"""Workflow 4: profiles, providers, the manual sync, counts, faults, schedules."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from telcost.core.cdr_format import CSV_COLUMNS
from telcost.jobs.models import Job
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.profiles import sync_profile_create
from telcost.syncs.services import syncs_run_scheduled
from telcost.usage.models import CDR, CycleTotals

pytestmark = pytest.mark.django_db


def sync(client, profile_id, date="2026-09-12"):
    return client.post("/sync-profile/manual-sync", {"sync_profile_id": profile_id, "date": date})


def run_all(drain_jobs, rounds=6):
    for _ in range(rounds):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        drain_jobs()


def status(client, task_id):
    return client.get(f"/api/sync-task/{task_id}/status").json()


def test_manual_sync_imports_counts_and_recalculates(
    api_client, api_profile, manager, drain_jobs, customer
):
    client = api_client(manager)
    response = sync(client, api_profile.pk)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "dispatched"
    task = SyncTask.objects.get(pk=body["task_id"])
    assert (
        task.manual_trigger and task.cycle_start == dt.date(2026, 9, 1) and task.status == "pending"
    )
    assert status(client, task.pk)["status"] == "pending"
    run_all(drain_jobs)
    answer = status(client, task.pk)
    assert answer["status"] == "completed", answer
    assert answer["counts"] == {"fetched": 250, "imported": 250, "duplicates": 0, "rejected": 0}
    assert CDR.objects.filter(customer=customer, cycle_start=dt.date(2026, 9, 1)).count() == 250
    assert CycleTotals.objects.filter(customer=customer, cycle_start=dt.date(2026, 9, 1)).exists()
    assert [s.name for s in Job.objects.get(pk=body["job_id"]).steps.order_by("position")] == [
        "SyncProfileCommand",
        "DispatchTotalsCommand",
    ]


def test_syncing_a_month_twice_imports_nothing_twice(api_client, api_profile, manager, drain_jobs):
    client = api_client(manager)
    sync(client, api_profile.pk)
    run_all(drain_jobs)
    second = sync(client, api_profile.pk).json()
    run_all(drain_jobs)
    assert status(client, second["task_id"])["counts"] == {
        "fetched": 250,
        "imported": 0,
        "duplicates": 250,
        "rejected": 0,
    }
    assert CDR.objects.count() == 250


def test_a_second_manual_sync_of_the_month_while_one_runs_returns_it(
    api_client, api_profile, manager
):
    first = sync(api_client(manager), api_profile.pk).json()
    second = sync(api_client(manager), api_profile.pk, "2026-09-30").json()
    assert second["task_id"] == first["task_id"] and SyncTask.objects.count() == 1


def test_a_manual_sync_of_another_month_gets_its_own_task(
    api_client, api_profile, manager, drain_jobs
):
    first = sync(api_client(manager), api_profile.pk).json()
    other = sync(api_client(manager), api_profile.pk, "2026-10-01").json()
    assert other["task_id"] != first["task_id"] and other["job_id"] != first["job_id"]
    assert SyncTask.objects.get(pk=other["task_id"]).cycle_start == dt.date(2026, 10, 1)
    run_all(drain_jobs)
    for body, month in ((first, dt.date(2026, 9, 1)), (other, dt.date(2026, 10, 1))):
        answer = status(api_client(manager), body["task_id"])
        assert answer["status"] == "completed" and answer["counts"]["imported"] == 250, answer
        assert CDR.objects.filter(cycle_start=month).count() == 250


def test_a_manual_sync_joins_the_scheduled_sync_of_its_month(api_client, api_profile, manager):
    now = timezone.now()
    SyncProfile.objects.filter(pk=api_profile.pk).update(
        schedule="*/5 * * * *", last_scheduled_run_at=now - dt.timedelta(minutes=6)
    )
    syncs_run_scheduled(now=now)
    scheduled = SyncTask.objects.get(cycle_start=timezone.localdate().replace(day=1))
    answer = sync(api_client(manager), api_profile.pk, timezone.localdate().isoformat()).json()
    assert answer["task_id"] == scheduled.pk and SyncTask.objects.count() == 2


def test_malformed_records_are_rejected_with_reasons_and_the_rest_imported(
    api_client, api_profile, manager, drain_jobs, provider_sim
):
    provider_sim.control(mode="malformed", times=1)
    task_id = sync(api_client(manager), api_profile.pk).json()["task_id"]
    run_all(drain_jobs)
    answer = status(api_client(manager), task_id)
    assert answer["status"] == "completed"
    assert answer["counts"] == {"fetched": 250, "imported": 246, "duplicates": 0, "rejected": 4}
    reasons = [e["reason"] for e in answer["errors"]]
    assert [e["line"] for e in answer["errors"]] == [1, 2, 3, 4]
    assert "started_at" in reasons[0]
    assert reasons[1].startswith("the record is not a JSON object")
    assert reasons[2] == "external_id is missing"
    assert reasons[3] == "duration_s has an unusable value [1, 2]"
    assert CDR.objects.count() == 246


def test_refused_credentials_fail_at_once_saying_so(
    api_client, customer, manager, drain_jobs, provider_sim
):
    profile = sync_profile_create(
        customer=customer,
        name="bad",
        provider="http_api",
        settings={"base_url": provider_sim.base_url},
        credentials={"api_key": "nope"},
    )
    task_id = sync(api_client(manager), profile.pk).json()["task_id"]
    run_all(drain_jobs)
    answer = status(api_client(manager), task_id)
    assert answer["status"] == "failed" and "refused the credentials (HTTP 401)" in answer["error"]
    assert provider_sim.state.calls == 1


def test_a_provider_flaky_for_a_while_is_retried_with_backoff(
    api_client, api_profile, manager, drain_jobs, provider_sim
):
    provider_sim.control(mode="500", times=2)
    task_id = sync(api_client(manager), api_profile.pk).json()["task_id"]
    run_all(drain_jobs)
    assert status(api_client(manager), task_id)["counts"]["imported"] == 250


def test_a_provider_down_for_the_whole_budget_fails_and_a_later_try_counts_nothing_twice(
    api_client, api_profile, manager, drain_jobs, provider_sim, monkeypatch
):
    monkeypatch.setattr("telcost.integrations.providers.http_api.BACKOFF_S", 0.01)
    provider_sim.control(page_size=100)
    # Page 1 comes through, then the provider goes down for good.
    calls = {"n": 0}
    from telcost.simulators import provider as simulator

    original = simulator.ProviderState.next_mode

    def down_after_first(state):
        calls["n"] += 1
        return "ok" if calls["n"] == 1 else "500"

    monkeypatch.setattr(simulator.ProviderState, "next_mode", down_after_first)
    task_id = sync(api_client(manager), api_profile.pk).json()["task_id"]
    run_all(drain_jobs, rounds=5)
    failed = status(api_client(manager), task_id)
    assert failed["status"] == "failed" and "unavailable" in failed["error"]
    assert failed["counts"]["imported"] == 100
    monkeypatch.setattr(simulator.ProviderState, "next_mode", original)
    retry = sync(api_client(manager), api_profile.pk).json()["task_id"]
    run_all(drain_jobs)
    again = status(api_client(manager), retry)
    assert again["counts"] == {"fetched": 250, "imported": 150, "duplicates": 100, "rejected": 0}
    assert CDR.objects.count() == 250


def test_file_drop_imports_the_months_rows_of_every_csv(
    api_client, customer, manager, drain_jobs, tmp_path
):
    header = ",".join(CSV_COLUMNS)
    (tmp_path / "a.csv").write_text(
        header + "\nf1,31600000001,2026-09-02T10:00:00+02:00,sms,national,x,0,0,0.08\n"
        "f2,31600000001,2026-10-02T10:00:00+02:00,sms,national,x,0,0,0.08\n"
    )
    (tmp_path / "b.csv").write_text(
        header + "\nf3,31600000002,2026-09-03T10:00:00+02:00,voice,eu,x,30,0,0.10\n"
        "f4,31600000002,2026-09-03T11:00:00+02:00,voice,mars,x,30,0,0.10\n"
    )
    (tmp_path / "notes.txt").write_text("not a csv")
    profile = sync_profile_create(
        customer=customer,
        name="drop",
        provider="file_drop",
        settings={"path": str(tmp_path)},
        credentials={},
    )
    task_id = sync(api_client(manager), profile.pk).json()["task_id"]
    run_all(drain_jobs)
    answer = status(api_client(manager), task_id)
    assert answer["status"] == "completed"
    assert answer["counts"] == {"fetched": 3, "imported": 2, "duplicates": 0, "rejected": 1}
    assert answer["errors"] == [
        {"line": 3, "reason": "zone must be national, eu or international, got 'mars'"}
    ]


# Transactional: each page request first takes a turn in the customer's Nina window, from the
# read-ahead thread's own connection, which must see the committed customer.
@pytest.mark.django_db(transaction=True)
def test_routit_profiles_read_cdrs_over_the_nina_api(
    api_client, customer, manager, drain_jobs, settings
):
    from telcost.simulators.nina import start_nina_simulator

    base_url, _, stop = start_nina_simulator(api_key="k")
    settings.NINA_API_URL, settings.NINA_API_KEY = base_url, "k"
    try:
        profile = sync_profile_create(
            customer=customer, name="routit", provider="routit", settings={}, credentials={}
        )
        task_id = sync(api_client(manager), profile.pk).json()["task_id"]
        run_all(drain_jobs)
        assert status(api_client(manager), task_id)["counts"]["imported"] == 120
    finally:
        stop()


def test_credentials_are_encrypted_at_rest_and_never_shown(
    api_client, staff_user, customer, provider_sim
):
    response = api_client(staff_user).post(
        "/api/sync-profiles",
        {
            "customer_id": customer.pk,
            "provider": "http_api",
            "settings": {"base_url": provider_sim.base_url},
            "credentials": {"api_key": "key-super-secret"},
            "schedule": "0 3 * * *",
        },
    )
    assert response.status_code == 201
    stored = SyncProfile.objects.get(pk=response.json()["id"])
    assert "key-super-secret" not in stored.credentials_encrypted and stored.credentials_encrypted
    listing = api_client(staff_user).get(f"/api/customers/{customer.pk}/sync-profiles").json()
    assert "key-super-secret" not in json.dumps(listing) and listing["items"][0]["has_credentials"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"provider": "fax"}, "provider"),
        ({"provider": "file_drop", "settings": {}}, "path"),
        (
            {
                "provider": "http_api",
                "settings": {"base_url": "ftp://x"},
                "credentials": {"api_key": "k"},
            },
            "base_url",
        ),
        ({"provider": "http_api", "settings": {"base_url": "http://x"}}, "api_key"),
        (
            {"provider": "file_drop", "settings": {"path": "/tmp"}, "schedule": "every day"},
            "schedule",
        ),
    ],
)
def test_bad_profiles_are_refused(api_client, staff_user, customer, body, fragment):
    response = api_client(staff_user).post(
        "/api/sync-profiles", {"customer_id": customer.pk, **body}
    )
    assert response.status_code == 400 and fragment in response.json()["error"]
    assert not SyncProfile.objects.exists()


def test_manual_sync_permissions_and_bad_input(api_client, api_profile, manager, viewer, outsider):
    assert sync(api_client(viewer), api_profile.pk).status_code == 403
    assert sync(api_client(outsider), api_profile.pk).status_code == 404
    assert sync(api_client(manager), 987654).status_code == 404
    assert sync(api_client(manager), api_profile.pk, "someday").status_code == 400
    SyncProfile.objects.filter(pk=api_profile.pk).update(active=False)
    assert sync(api_client(manager), api_profile.pk).status_code == 400
    assert not SyncTask.objects.exists() and not Job.objects.exists()
    assert api_client(outsider).get("/api/sync-task/1/status").status_code == 404


def test_scheduled_profiles_sync_the_previous_and_current_month_once(api_profile):
    now = timezone.now()
    SyncProfile.objects.filter(pk=api_profile.pk).update(
        schedule="*/5 * * * *", last_scheduled_run_at=now - dt.timedelta(minutes=6)
    )
    assert syncs_run_scheduled(now=now) == 1
    assert syncs_run_scheduled(now=now) == 0, "claimed: not started twice"
    months = sorted(SyncTask.objects.values_list("cycle_start", flat=True))
    current = timezone.localdate().replace(day=1)
    assert (
        months[1] == current
        and months[0] < current
        and not SyncTask.objects.filter(manual_trigger=True).exists()
    )
    unscheduled = sync_profile_create(
        customer=api_profile.customer,
        name="manual only",
        provider="file_drop",
        settings={"path": "/tmp"},
        credentials={},
    )
    assert syncs_run_scheduled(now=now + dt.timedelta(hours=1)) == 1  # only the scheduled one again
    assert not SyncTask.objects.filter(profile=unscheduled).exists()


def test_a_sync_follows_a_recalculation_that_has_already_read_the_month_with_its_own(
    api_client, api_profile, manager, drain_jobs, customer, django_capture_on_commit_callbacks
):
    from telcost.jobs.models import Step
    from telcost.jobs.services import job_cancel
    from telcost.usage.models import UsageTotal
    from telcost.usage.recalculation.services import recalculation_dispatch

    september = dt.date(2026, 9, 1)
    # Its first step is under way: it read the month before the sync's CDRs came in.
    running = recalculation_dispatch(customer=customer, cycle_start=september).job
    Step.objects.filter(job=running, position=0).update(status=Step.Status.RUNNING)
    Job.objects.filter(pk=running.pk).update(lock_acquired_at=timezone.now())  # as its claim did
    body = sync(api_client(manager), api_profile.pk).json()
    run_all(drain_jobs)
    follow_up = Job.objects.get(
        pk=Job.objects.get(pk=body["job_id"]).result["recalculation_job_id"]
    )
    assert follow_up.pk != running.pk and follow_up.lock_key == running.lock_key
    # Chains of the customer-month take turns, whole: the follow-up waits for the running one.
    assert follow_up.status == "pending"
    with django_capture_on_commit_callbacks(execute=True):  # the kind's reaction runs after commit
        job_cancel(job=running)
    run_all(drain_jobs)
    follow_up.refresh_from_db()
    assert follow_up.status == "completed"
    totals = UsageTotal.objects.filter(customer=customer, cycle_start=september)
    assert sum(t.count for t in totals) == 250


def test_a_sync_cancelled_after_importing_recalculates_the_month_for_what_it_imported(
    api_client, api_profile, manager, drain_jobs, customer, django_capture_on_commit_callbacks
):
    from telcost.jobs.services import job_cancel
    from telcost.syncs.services import sync_run
    from telcost.usage.models import UsageTotal

    body = sync(api_client(manager), api_profile.pk).json()
    task = SyncTask.objects.get(pk=body["task_id"])
    sync_run(task=task)  # its pages imported (committed) before the cancel takes effect
    with django_capture_on_commit_callbacks(
        execute=True
    ):  # the sync kind's reaction runs after commit
        job_cancel(job=Job.objects.get(pk=body["job_id"]))
    assert SyncTask.objects.get(pk=task.pk).status == "failed"
    recalculation_id = Job.objects.get(pk=body["job_id"]).result["recalculation_job_id"]
    run_all(drain_jobs)
    assert Job.objects.get(pk=recalculation_id).status == "completed"
    totals = UsageTotal.objects.filter(customer=customer, cycle_start=dt.date(2026, 9, 1))
    assert sum(t.count for t in totals) == 250
