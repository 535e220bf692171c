"""Reads of the syncs app. Credentials are never part of any answer."""

import datetime as dt

from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from telcost.accounts.access import customers_for, require_right, require_staff
from telcost.alerts.selectors import alert_counts
from telcost.core.cycles import previous_cycle
from telcost.customers.models import Customer
from telcost.jobs.models import Job
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.schedule import schedule_next_run
from telcost.usage.selectors import month_totals_of

PROFILE_NOT_FOUND = "Sync profile not found"


def sync_profile_for_user(*, user, profile_id: int, staff: bool = False) -> SyncProfile:
    """The profile (not a deleted one) under access.py's policy, for the API and the pages alike:
    Http404 unless its customer is visible, then PermissionDenied for what only staff do."""
    profile = SyncProfile.objects.select_related("customer").filter(pk=profile_id).first()
    require_right(user=user, customer=profile and profile.customer, not_found=PROFILE_NOT_FOUND)
    if staff:
        require_staff(user)
    return profile


def sync_profiles_of(customer, *, deleted: bool = False) -> list[SyncProfile]:
    """The customer's profiles (deleted: only the deleted ones, whose syncs stay in history), each
    with `last_task` (None if it never ran) with its job and the job's creator, and `task_count`:
    two queries whatever their number."""
    profiles = (
        SyncProfile.with_deleted.filter(customer=customer, deleted_at__isnull=False).order_by(
            "-deleted_at"
        )
        if deleted
        else SyncProfile.objects.filter(customer=customer)
    )
    tasks_of_profile = SyncTask.objects.filter(profile=OuterRef("pk"))
    profiles = list(
        profiles.annotate(
            last_task_id=Subquery(tasks_of_profile.order_by("-id").values("id")[:1]),
            task_count=Coalesce(
                Subquery(
                    tasks_of_profile.order_by()
                    .values("profile")
                    .annotate(n=Count("id"))
                    .values("n")
                ),
                0,
            ),
        )
    )
    tasks = SyncTask.objects.select_related("job__created_by").in_bulk(
        [p.last_task_id for p in profiles if p.last_task_id]
    )
    for profile in profiles:
        profile.last_task = tasks.get(profile.last_task_id)
    return profiles


def sync_task_summary(task: SyncTask | None) -> dict | None:
    """When a task was made, by whom (None: the schedule) and how it went."""
    if task is None:
        return None
    return {
        "id": task.pk,
        "cycle_start": task.cycle_start,
        "status": sync_task_effective_status(task),
        "manual_trigger": task.manual_trigger,
        "by": task.job.created_by.get_username() if task.job and task.job.created_by else None,
        "created_at": task.created_at,
        "finished_at": task.finished_at,
        "error": error_in_reader_language(task.error),
    }


def sync_profile_as_dict(profile: SyncProfile) -> dict:
    """A profile as the API shows it: whether it has credentials, never what they are.
    last_task is read from `profile.last_task` when sync_profiles_of set it."""
    if not hasattr(profile, "last_task"):
        profile.last_task = profile.tasks.select_related("job__created_by").first()
    return {
        "id": profile.pk,
        "name": profile.name,
        "provider": profile.provider,
        "settings": profile.settings,
        "schedule": profile.schedule,
        "active": profile.active,
        "has_credentials": bool(profile.credentials_encrypted),
        "last_task": sync_task_summary(profile.last_task),
        "next_run": schedule_next_run(profile),
    }


def sync_task_effective_status(task: SyncTask) -> str:
    """The task's status as its job tells it.

    The handlers and the job's end keep SyncTask.status in step; where they could not
    (a worker lost for good, a job cancelled or failed by the recovery sweep), the job decides.
    """
    job = task.job
    if job is None or task.status in (SyncTask.Status.COMPLETED, SyncTask.Status.FAILED):
        return task.status
    if job.status in Job.FAILED_STATES:
        return SyncTask.Status.FAILED
    if job.status in Job.DONE_STATES:
        return SyncTask.Status.COMPLETED
    # A running job whose task is still pending waits for the profile's sync before it (its
    # handler marks the task running once it has the profile's lock): it is pending to the reader.
    return task.status


def error_in_reader_language(error: str) -> str:
    """A stored error ("SyncProfileCommand: the provider could not be reached") in the reader's
    language where its message is one of the catalogue's sentences; any other stays as stored."""
    prefix, separator, message = error.rpartition(": ")
    return f"{prefix}{separator}{gettext(message)}" if message else error


def sync_task_status(task: SyncTask) -> dict:
    status = sync_task_effective_status(task)
    return {
        "id": task.pk,
        "status": status,
        "error": error_in_reader_language(
            task.error or (task.job.error if task.job and status == "failed" else "")
        ),
        "cycle_start": task.cycle_start.isoformat(),
        "manual_trigger": task.manual_trigger,
        "counts": {
            "fetched": task.fetched,
            "imported": task.imported,
            "duplicates": task.duplicates,
            "rejected": task.rejected,
        },
        "errors": task.errors[:50],
        "job_id": task.job_id,
    }


def last_syncs_of(*, customer_ids: list[int]) -> dict[int, dt.datetime]:
    """{customer id: when its latest completed sync finished}, over all its profiles."""
    return dict(
        SyncTask.objects.filter(
            profile__customer_id__in=customer_ids,
            status=SyncTask.Status.COMPLETED,
            finished_at__isnull=False,
        )
        .values("profile__customer_id")
        .annotate(last=Max("finished_at"))
        .values_list("profile__customer_id", "last")
    )


def partner_overview(*, user, partner: Customer, month: dt.date) -> list[dict]:
    """SPEC part 2: every customer of the partner (that the user may see) with the month's total,
    the previous month's, the month's fired alerts, its last sync and whether the month was
    calculated. Here in syncs because it joins the usage totals and alerts below with the syncs'
    own history; five queries whatever the number of customers."""
    customers = list(
        customers_for(user).filter(partner=partner).order_by("name", "pk").values_list("pk", "name")
    )
    ids = [pk for pk, _name in customers]
    previous = previous_cycle(month)
    totals = month_totals_of(customer_ids=ids, months=[month, previous])
    syncs = last_syncs_of(customer_ids=ids)
    alerts = alert_counts(customer_ids=ids, cycle_start=month)
    return [
        {
            "customer_id": pk,
            "name": name,
            "total_cost": totals.get((pk, month)),
            "previous_total_cost": totals.get((pk, previous)),
            "alerts": alerts.get(pk, 0),
            "last_sync_at": syncs.get(pk),
            "calculated": (pk, month) in totals,
        }
        for pk, name in customers
    ]
