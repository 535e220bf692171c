"""Workflow 4 with real `telcost worker` processes: a worker killed mid-sync, and the schedule's
timer."""

import os
import signal
import time

import pytest
from django.db.models import Sum
from django.utils import timezone

from telcost.core.cycles import cycle_start_of
from telcost.jobs.locks import exclusive
from telcost.jobs.models import Job, Step
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.services import sync_manual_dispatch
from telcost.usage.models import CDR, CycleTotals, TotalsBackup, UsageTotal
from telcost.usage.recalculation.services import recalculation_dispatch, recalculation_keys
from tests.conftest import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FAST_RECOVERY = {
    "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
    "TELCOST_JOBS_STALE_AFTER_SECONDS": "2",
    "TELCOST_JOBS_SWEEP_SECONDS": "0.5",
}
SEPT = timezone.datetime(2026, 9, 1).date()


def test_a_sync_whose_worker_is_killed_ends_with_exactly_the_providers_cdrs(
    api_profile, manager, provider_sim, start_worker
):
    provider_sim.control(records=2000, page_size=100, delay_s=0.15)
    task = sync_manual_dispatch(profile=api_profile, cycle_start=SEPT, user=manager)
    doomed = start_worker("doomed", **FAST_RECOVERY)
    wait_for(
        lambda: SyncTask.objects.get(pk=task.pk).imported >= 300,
        timeout=60,
        message="some pages imported",
    )
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    interrupted = SyncTask.objects.get(pk=task.pk)
    assert interrupted.status == "running" and interrupted.imported < 2000
    start_worker("rescuer", **FAST_RECOVERY)
    wait_for(
        lambda: SyncTask.objects.get(pk=task.pk).status in ("completed", "failed"),
        timeout=90,
        message="the sync to end",
    )
    task.refresh_from_db()
    assert task.status == "completed", task.error
    # Resumed at its checkpoint: every page imported and counted once, none read twice into the
    # counts.
    assert (task.fetched, task.imported, task.duplicates, task.rejected) == (2000, 2000, 0, 0)
    assert CDR.objects.filter(customer=api_profile.customer, cycle_start=SEPT).count() == 2000
    assert Job.objects.get(pk=task.job_id).steps.get(name="SyncProfileCommand").attempts == 2


def test_the_workers_timer_syncs_a_due_profile_once_for_two_workers(
    api_profile, provider_sim, start_worker
):
    SyncProfile.objects.filter(pk=api_profile.pk).update(
        schedule="0 3 * * *", last_scheduled_run_at=timezone.now() - timezone.timedelta(days=2)
    )
    start_worker("a")
    start_worker("b")
    wait_for(
        lambda: (
            SyncTask.objects.filter(profile=api_profile).count() == 2
            and all(t.status == "completed" for t in SyncTask.objects.filter(profile=api_profile))
        ),
        timeout=90,
        message="the scheduled syncs of two months",
    )
    current = cycle_start_of(timezone.now())
    tasks = list(SyncTask.objects.filter(profile=api_profile).order_by("cycle_start"))
    assert [t.cycle_start for t in tasks][1] == current and tasks[0].cycle_start < current
    assert not any(t.manual_trigger for t in tasks)
    assert all(t.imported == 250 for t in tasks)
    # Each month's recalculation was dispatched after its import, for nobody in particular.
    wait_for(
        lambda: Job.objects.filter(kind="recalculate_totals", status="completed").count() == 2,
        timeout=60,
        message="the months' recalculations",
    )
    assert SyncProfile.objects.get(
        pk=api_profile.pk
    ).last_scheduled_run_at > timezone.now() - timezone.timedelta(minutes=5)


def test_syncs_of_two_months_of_one_profile_run_one_after_the_other(
    api_client, api_profile, manager, provider_sim, start_worker
):
    provider_sim.control(records=300, page_size=100, delay_s=0.3)
    client = api_client(manager)
    september = client.post(
        "/sync-profile/manual-sync", {"sync_profile_id": api_profile.pk, "date": "2026-09-01"}
    ).json()
    october = client.post(
        "/sync-profile/manual-sync", {"sync_profile_id": api_profile.pk, "date": "2026-10-01"}
    ).json()
    assert september["task_id"] != october["task_id"]
    start_worker("a")
    start_worker("b")
    seen = []  # what the status endpoint said, sampled while they ran: October, September, October

    def both_ended():
        answers = [
            client.get(f"/api/sync-task/{t['task_id']}/status").json()
            for t in (october, september, october)
        ]
        seen.append([(answer["status"], answer["counts"]["imported"]) for answer in answers])
        return all(answer["status"] in ("completed", "failed") for answer in answers)

    wait_for(both_ended, timeout=90, message="both syncs to end")
    # The one that waits says so: pending while the other imports, though a worker holds each.
    # (Its status is read before the other's count, so a sample never sees the hand-over backwards.)
    september_first = provider_sim.state.asked[0][0] == "2026-09"
    waiting, importing = (0, 1) if september_first else (1, 2)
    shown_running_early = [s for s in seen if s[waiting][0] == "running" and s[importing][1] < 300]
    assert not shown_running_early and any(s[importing][0] == "running" for s in seen), seen
    tasks = [SyncTask.objects.get(pk=t["task_id"]) for t in (september, october)]
    assert [(t.status, t.imported) for t in tasks] == [("completed", 300), ("completed", 300)]
    # Two workers were free, yet the provider saw one month's pages, then the other's: in sequence.
    months = [month for month, _page in provider_sim.state.asked]
    assert months in (["2026-09"] * 3 + ["2026-10"] * 3, ["2026-10"] * 3 + ["2026-09"] * 3), months


def test_a_sync_that_fails_half_way_recalculates_the_month_for_what_it_imported(
    api_client, api_profile, manager, provider_sim, start_worker
):
    from django.db.models import Sum

    from telcost.usage.models import UsageTotal

    # Down after 1,000 of 4,000 records.
    provider_sim.control(records=4000, page_size=100, fail_after_pages=10)
    body = (
        api_client(manager)
        .post(
            "/sync-profile/manual-sync", {"sync_profile_id": api_profile.pk, "date": "2026-09-01"}
        )
        .json()
    )
    start_worker("a")
    wait_for(
        lambda: SyncTask.objects.get(pk=body["task_id"]).status in ("completed", "failed"),
        timeout=120,
        message="the sync to give up on the provider",
    )
    task = SyncTask.objects.get(pk=body["task_id"])
    assert (task.status, task.imported) == ("failed", 1000), task.error
    assert CDR.objects.filter(customer=api_profile.customer, cycle_start=SEPT).count() == 1000
    # The CDRs it did import are in the month's totals, without waiting for a sync that succeeds.
    recalculations = Job.objects.filter(
        kind="recalculate_totals",
        customer=api_profile.customer,
        params__cycle_start=SEPT.isoformat(),
    )
    recalculation = wait_for(
        lambda: recalculations.filter(status__in=("completed", "failed")).first(),
        timeout=60,
        message="the month's recalculation",
    )
    assert recalculation.status == "completed", recalculation.error
    totals = UsageTotal.objects.filter(customer=api_profile.customer, cycle_start=SEPT)
    assert totals.aggregate(n=Sum("count"))["n"] == 1000
    assert Job.objects.get(pk=body["job_id"]).result["recalculation_job_id"] == recalculation.pk


def test_a_syncs_recalculation_runs_after_the_months_running_chain_not_between_its_steps(
    api_profile, manager, provider_sim, start_worker
):
    """Chains of one customer-month run one after the other, whole: a sync's follow-up chain
    used to run its CalculateTotals between the running chain's CalculateTotals and its backup,
    which then failed ("the totals are at version 2, not 1") although the totals were right."""
    customer = api_profile.customer
    provider_sim.control(records=300, page_size=100)
    _, lock_key = recalculation_keys(customer_id=customer.pk, cycle_start=SEPT)
    start_worker("a")
    start_worker("b")
    # Another session holds the month's lock a while (psql in the issue).
    with exclusive(lock_key):
        first = recalculation_dispatch(customer=customer, cycle_start=SEPT, user=manager).job
        wait_for(
            lambda: Step.objects.filter(job=first, position=0, status="running").exists(),
            timeout=30,
            message="the recalculation to start reading the month",
        )
        task = sync_manual_dispatch(profile=api_profile, cycle_start=SEPT, user=manager)
        wait_for(
            lambda: SyncTask.objects.get(pk=task.pk).status == "completed",
            timeout=60,
            message="the sync to import and dispatch its recalculation",
        )
        follow_up = Job.objects.filter(kind="recalculate_totals").exclude(pk=first.pk).get()
        time.sleep(1.5)  # a free worker has had ample time to take the follow-up's first step
    chains = [first.pk, follow_up.pk]
    both = Job.objects.filter(pk__in=chains).order_by("pk")
    wait_for(
        lambda: not both.filter(reacted_at__isnull=True).exists(),
        timeout=60,
        message="both chains to end (and their reactions to run)",
    )
    assert list(both.values_list("status", flat=True)) == ["completed", "completed"], list(
        both.values_list("error", flat=True)
    )
    # The follow-up began after the first chain's last step: one whole chain, then the other.
    first_end = Step.objects.filter(job=first).order_by("-position").first().finished_at
    assert Step.objects.get(job=follow_up, position=0).started_at >= first_end
    assert sorted(
        TotalsBackup.objects.filter(customer=customer, cycle_start=SEPT).values_list(
            "version", flat=True
        )
    ) == [1, 2]
    assert CycleTotals.objects.get(customer=customer, cycle_start=SEPT).version == 2
    # Every synced CDR is in the totals, and the customer's outcome is right.
    totals = UsageTotal.objects.filter(customer=customer, cycle_start=SEPT)
    counted = totals.aggregate(n=Sum("count"))["n"]
    assert counted == CDR.objects.filter(customer=customer, cycle_start=SEPT).count() == 300
    customer.refresh_from_db()
    assert customer.totals_outcome == "ok" and customer.calculate_totals is False
