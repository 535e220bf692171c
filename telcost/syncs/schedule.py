"""When a sync profile's cron schedule runs: the one rule of the scheduler and of every preview.

A schedule is five cron fields (minute hour day month weekday) read in local time
(Europe/Amsterdam). The scheduler runs a profile at the first time the schedule names after its
anchor: its last scheduled run, else the moment the schedule was set or the profile created or
activated (telcost.syncs.profiles resets it then), so a schedule never makes up for runs it would
have had before. The pages and the API preview the runs with the same function the scheduler
asks, `schedule_runs`.
"""

import datetime as dt

from croniter import CroniterError, croniter
from django.utils import timezone

MAX_LENGTH = 100  # SyncProfile.schedule
FIELDS = 5
EXAMPLE = "0 3 * * *"


class BadSchedule(ValueError):
    pass


def schedule_runs(schedule: str, *, after: dt.datetime, count: int) -> list[dt.datetime]:
    """The first `count` times (local, aware) the schedule names after `after`."""
    runs = croniter(schedule, timezone.localtime(after))
    return [runs.get_next(dt.datetime) for _ in range(count)]


def schedule_checked(text: str, *, now: dt.datetime | None = None) -> str:
    """The schedule as stored ("" for none), or BadSchedule saying what is wrong with it."""
    schedule = " ".join(text.split())
    if not schedule:
        return ""
    if len(schedule) > MAX_LENGTH:
        raise BadSchedule(f"at most {MAX_LENGTH} characters")
    if len(schedule.split(" ")) != FIELDS or not croniter.is_valid(schedule):
        raise BadSchedule(
            f"not a cron expression of five fields (minute hour day month weekday), "
            f"e.g. {EXAMPLE}: {schedule}"
        )
    try:
        schedule_runs(schedule, after=now or timezone.now(), count=1)
    except (CroniterError, ValueError, OverflowError):
        # "0 0 30 2 *": valid fields that name no day.
        raise BadSchedule(f"names no time that ever comes: {schedule}") from None
    return schedule


def schedule_anchor(profile) -> dt.datetime:
    """The moment the profile's next scheduled run counts from."""
    return profile.last_scheduled_run_at or profile.created_at


def schedule_next_run(profile) -> dt.datetime | None:
    """When the scheduler runs the profile next, as the scheduler asks it (a time already past:
    at its next round); None when it never will (no schedule, inactive, deleted)."""
    if not profile.schedule or not profile.active or profile.deleted_at is not None:
        return None
    try:
        return schedule_runs(profile.schedule, after=schedule_anchor(profile), count=1)[0]
    except (CroniterError, ValueError, OverflowError):
        return None  # a schedule stored before it was checked, that names no time: never runs


def schedule_upcoming(profile, *, count: int = 5) -> list[dt.datetime]:
    """The profile's next `count` scheduled runs, the first as schedule_next_run answers."""
    first = schedule_next_run(profile)
    if first is None:
        return []
    return [first, *schedule_runs(profile.schedule, after=first, count=count - 1)]


def schedule_preview(text: str, *, count: int = 5) -> list[dt.datetime]:
    """The runs a schedule being typed would have if saved now (a changed schedule counts from
    the moment it is saved); [] for none; BadSchedule as schedule_checked."""
    now = timezone.now()
    schedule = schedule_checked(text, now=now)
    return schedule_runs(schedule, after=now, count=count) if schedule else []
