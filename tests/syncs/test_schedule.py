"""A sync profile's schedule: one rule for the scheduler, the API's next_run and the pages'
previews (telcost.syncs.schedule)."""

import datetime as dt

import pytest
from django.utils import timezone

from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.profiles import sync_profile_create
from telcost.syncs.schedule import (
    BadSchedule,
    schedule_checked,
    schedule_next_run,
    schedule_preview,
    schedule_upcoming,
)
from telcost.syncs.services import syncs_run_scheduled

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(customer):
    profile = sync_profile_create(
        customer=customer,
        name="drops",
        provider="file_drop",
        settings={"path": "/tmp"},
        credentials={},
        schedule="*/5 * * * *",
    )
    anchor = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=3)
    SyncProfile.objects.filter(pk=profile.pk).update(last_scheduled_run_at=anchor)
    return SyncProfile.objects.get(pk=profile.pk)


def test_the_scheduler_runs_a_profile_exactly_at_the_next_run_it_shows(scheduled):
    shown = schedule_next_run(scheduled)
    assert syncs_run_scheduled(now=shown - dt.timedelta(seconds=1)) == 0
    assert syncs_run_scheduled(now=shown) == 1 and SyncTask.objects.count() == 2
    after = SyncProfile.objects.get(pk=scheduled.pk)
    assert schedule_next_run(after) == shown + dt.timedelta(minutes=5)


def test_the_upcoming_runs_follow_the_next_one(scheduled):
    runs = schedule_upcoming(scheduled, count=4)
    assert runs[0] == schedule_next_run(scheduled)
    assert [b - a for a, b in zip(runs, runs[1:], strict=False)] == [dt.timedelta(minutes=5)] * 3
    assert all(run.tzinfo is not None and run.utcoffset() for run in runs)  # local time


def test_inactive_deleted_and_unscheduled_profiles_have_no_next_run(scheduled):
    for change in ({"active": False}, {"deleted_at": timezone.now()}, {"schedule": ""}):
        profile = SyncProfile.with_deleted.get(pk=scheduled.pk)
        for field, value in change.items():
            setattr(profile, field, value)
        assert schedule_next_run(profile) is None and schedule_upcoming(profile) == []


def test_a_preview_counts_from_now_in_dutch_time():
    runs = schedule_preview("0  3 * * *", count=3)
    local = [timezone.localtime(run) for run in runs]
    assert [(t.hour, t.minute) for t in local] == [(3, 0)] * 3
    assert runs[0] > timezone.now() and schedule_preview("") == []


@pytest.mark.parametrize(
    "text", ["0 3 * * * *", "0 3 * *", "every night", "61 * * * *", "0 0 30 2 *", "x" * 101]
)
def test_schedules_that_cannot_be_kept_are_refused(text):
    with pytest.raises(BadSchedule):
        schedule_checked(text)


def test_a_schedule_is_stored_with_single_spaces():
    assert schedule_checked("  0   3 * *  1-5 ") == "0 3 * * 1-5"
