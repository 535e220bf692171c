"""Workflow 4: sync a provider's CDRs of a month into telcost, then recalculate that month.

The seed's SyncProfileController::manualSync (a SyncTask and SyncProfileCommand),
the provider adapters behind one interface, and DispatchTotalsCommand (the
recalculation chain of workflow 1). What is read is imported and counted in one
transaction with the checkpoint that says where to resume, so a retried or
resumed run never imports or counts anything twice: a paged provider's page (an
answer of its own), or a drop file with all its pages (whole or not at all).
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telcost.addons.limits import nina_request_limiter
from telcost.core.cycles import cycle_start_of, previous_cycle
from telcost.customers.models import Customer
from telcost.integrations.providers import ProviderError
from telcost.integrations.providers.base import Page
from telcost.integrations.providers.read_ahead import read_ahead
from telcost.jobs.errors import PermanentError, TransientError
from telcost.jobs.kinds import JobKind, register
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.syncs.drop_files import (
    DropFileCounts,
    skipped_file_note,
    synced_file_record,
    synced_files,
)
from telcost.syncs.models import SyncedPage, SyncProfile, SyncTask
from telcost.syncs.profiles import SyncInputError  # profiles are kept in telcost.syncs.profiles
from telcost.syncs.providers import provider_for
from telcost.syncs.schedule import schedule_next_run
from telcost.syncs.synced_pages import synced_page_record, synced_pages
from telcost.usage.imports.pipeline import (
    cdrs_import_rows,
    cdrs_rows_prepare,
    cdrs_statistics_refresh,
)
from telcost.usage.recalculation.services import recalculation_dispatch

MAX_TASK_ERRORS = 200


@dataclass(frozen=True)
class SyncParams:
    """A sync job's task (its SyncTask row), customer and month."""

    sync_task_id: int
    customer_id: int
    cycle_start: dt.date

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            sync_task_id=int(data["sync_task_id"]),
            customer_id=int(data["customer_id"]),
            cycle_start=dt.date.fromisoformat(data["cycle_start"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "sync_task_id": self.sync_task_id,
            "customer_id": self.customer_id,
            "cycle_start": self.cycle_start.isoformat(),
        }


def _dispatch(
    *, profile: SyncProfile, cycle_start: dt.date, user, manual: bool, dedupe_key: str
) -> SyncTask:
    task = SyncTask.objects.create(profile=profile, cycle_start=cycle_start, manual_trigger=manual)
    job, joined = job_dispatch(
        kind=SYNC_KIND,
        customer=profile.customer,
        created_by=user,
        params=SyncParams(
            sync_task_id=task.pk, customer_id=profile.customer_id, cycle_start=cycle_start
        ),
        steps=[StepSpec("SyncProfileCommand"), StepSpec("DispatchTotalsCommand")],
        dedupe_key=dedupe_key,
        lock_key=f"sync:{profile.pk}",  # one run of a profile at a time, manual or scheduled
    )
    if joined:
        task.delete()
        return SyncTask.objects.get(job=job)
    SyncTask.objects.filter(pk=task.pk).update(job=job)
    task.job = job
    return task


def sync_dedupe_key(*, profile: SyncProfile, cycle_start: dt.date) -> str:
    """One active sync per profile and month, manual or scheduled: a second request joins it."""
    return f"sync:{profile.pk}:{cycle_start:%Y-%m}"


@transaction.atomic
def sync_manual_dispatch(*, profile: SyncProfile, cycle_start: dt.date, user) -> SyncTask:
    """A manual sync of a month: joins the profile's sync of that month that is pending or running.

    Another month gets a task of its own; it waits for the running one (the profile's lock key),
    so a profile's syncs run one after the other. Whether a sync is active is asked of its job
    (the dedupe key's index), not of the task's own status: a task whose job ended without saying
    so must not hold the profile's month forever.
    """
    if not profile.active:
        raise SyncInputError("this sync profile is not active")
    return _dispatch(
        profile=profile,
        cycle_start=cycle_start,
        user=user,
        manual=True,
        dedupe_key=sync_dedupe_key(profile=profile, cycle_start=cycle_start),
    )


def sync_run(
    *,
    task: SyncTask,
    progress: Callable[[int], None] | None = None,
    progress_in_transaction: Callable[[int], None] | None = None,
) -> dict:
    """SyncProfileCommand: fetch page by page, import with dedupe, count, checkpoint.

    A drop file's pages are one transaction: a file found unreadable at some line, or an import
    that fails inside it, leaves none of its records (nor devices) and the checkpoint before it;
    the files before it stay imported. progress(fetched) is called after each transaction
    commits, progress_in_transaction(fetched) between a file's pages, inside its transaction
    (see StepContext.progress_in_transaction).
    """
    profile = task.profile
    # Deleted or deactivated after this sync was queued: it does not run.
    if profile.deleted_at is not None:
        raise PermanentError("the sync profile was deleted")
    if not profile.active:
        raise PermanentError("this sync profile is not active")
    SyncTask.objects.filter(pk=task.pk).update(
        status=SyncTask.Status.RUNNING, started_at=timezone.now()
    )
    known = synced_files(task=task)
    known_pages = synced_pages(task=task)
    try:
        provider = provider_for(
            profile, nina_limiter=nina_request_limiter(customer_id=profile.customer_id)
        )
        pages = read_ahead(
            provider.pages(
                cycle_start=task.cycle_start,
                checkpoint=task.checkpoint,
                known_files=frozenset(known),
                known_pages=known_pages,
            ),
            prepare=_prepared,
        )
        for page in pages:
            with transaction.atomic():
                task.refresh_from_db()
                file_counts = DropFileCounts()
                while True:  # one page, or a drop file's pages up to its last
                    _take_page(task, page, known, known_pages, profile.customer, file_counts)
                    if page.file is None or page.file.complete:
                        break
                    if progress_in_transaction is not None:
                        progress_in_transaction(task.fetched)
                    # Only the page in hand is held: a file's pages before it can be freed.
                    page = next(pages)
                task.save(
                    update_fields=[
                        "fetched",
                        "imported",
                        "duplicates",
                        "rejected",
                        "errors",
                        "checkpoint",
                    ]
                )
            if progress is not None:
                progress(task.fetched)
    except ProviderError as exc:
        if exc.transient:
            raise TransientError(str(exc)) from None
        raise PermanentError(str(exc)) from None
    except KeyError as exc:
        raise PermanentError(f"the sync profile's settings lack {exc}") from None
    # Its pages committed one by one: what they added together decides (an import of the month
    # right after a sync reads it, as after an upload).
    cdrs_statistics_refresh(imported=task.imported)
    return sync_counts(task)


def _take_page(
    task: SyncTask,
    page: Page,
    known: dict,
    known_pages: dict,
    customer: Customer,
    file_counts: DropFileCounts,
) -> None:
    """A page counted (if unchanged) or imported, and its checkpoint taken, in the caller's
    transaction."""
    if page.file is not None and page.file.skipped:
        _count_unchanged_file(task, known[page.file.sha256])
    elif page.body is not None and page.body.skipped:
        _count_unchanged_page(task, known_pages[page.body.position, page.body.sha256])
    else:
        _import_page(task, page, customer, file_counts)
    task.checkpoint = page.checkpoint


def _prepared(page):
    """The page with its rows made ready for the import: in the read-ahead thread, overlapping this
    page's import."""
    page.prepared = cdrs_rows_prepare(page.rows)
    return page


def _import_page(
    task: SyncTask, page: Page, customer: Customer, file_counts: DropFileCounts
) -> None:
    """One page imported and counted, in the caller's transaction with its checkpoint."""
    result = cdrs_import_rows(
        customer=customer, rows=page.rows, cycle_start=task.cycle_start, prepared=page.prepared
    )
    fetched = len(page.rows) - result.skipped_other_months
    task.fetched += fetched
    task.imported += result.imported
    task.duplicates += result.duplicates
    task.rejected += result.rejected
    task.errors = (task.errors + page.errors + result.errors)[:MAX_TASK_ERRORS]
    synced_page_record(task=task, page=page, fetched=fetched, result=result)
    if page.file is not None:
        file_counts.add(fetched=fetched, result=result)
        if page.file.complete:
            synced_file_record(task=task, file=page.file, counts=file_counts)


def _count_unchanged_file(task: SyncTask, synced) -> None:
    """What reading it again would count: its stored records as duplicates, its bad ones
    rejected."""
    task.fetched += synced.fetched
    task.duplicates += synced.stored
    task.rejected += synced.rejected
    task.errors = (task.errors + skipped_file_note(synced))[:MAX_TASK_ERRORS]


def _count_unchanged_page(task: SyncTask, synced: SyncedPage) -> None:
    """What importing it again would count: its records of the month, all duplicates (none was
    rejected)."""
    task.fetched += synced.fetched
    task.duplicates += synced.fetched


def sync_counts(task: SyncTask) -> dict:
    return {
        "fetched": task.fetched,
        "imported": task.imported,
        "duplicates": task.duplicates,
        "rejected": task.rejected,
    }


def sync_dispatch_totals(*, task: SyncTask, user) -> dict:
    """DispatchTotalsCommand: the month's recalculation chain (joined if one runs), then the task is
    done.

    A running chain is joined only if it will still read the CDRs this sync imported.
    """
    recalculation = recalculation_dispatch(
        customer=task.profile.customer,
        cycle_start=task.cycle_start,
        user=user,
        reason="sync",
        new_cdrs=task.imported > 0,
    )
    SyncTask.objects.filter(pk=task.pk).update(
        status=SyncTask.Status.COMPLETED, finished_at=timezone.now()
    )
    return {"recalculation_job_id": recalculation.pk}


def sync_task_follow_job(job: Job, params: SyncParams) -> None:
    """A sync job that did not complete: its task fails with the job's error.

    The pages it imported before it stopped are committed CDRs; left alone they would stay out
    of the month's totals until a later sync succeeds. So the month is recalculated for them
    (a chain that has not read the month yet is joined, see recalculation_dispatch).
    The kind's reaction, after the job's end committed; it may run more than once, and the job's
    result records the recalculation, so it is dispatched once.
    """
    if job.status == Job.Status.COMPLETED:
        return
    SyncTask.objects.filter(job=job).exclude(status=SyncTask.Status.COMPLETED).update(
        status=SyncTask.Status.FAILED, error=job.error, finished_at=timezone.now()
    )
    task = SyncTask.objects.select_related("profile__customer").filter(job=job).first()
    if task is None or task.imported == 0 or "recalculation_job_id" in (job.result or {}):
        return
    recalculation = recalculation_dispatch(
        customer=task.profile.customer,
        cycle_start=task.cycle_start,
        user=job.created_by,
        reason="sync",
        new_cdrs=True,
    )
    job.result = {**(job.result or {}), "recalculation_job_id": recalculation.pk}
    Job.objects.filter(pk=job.pk).update(result=job.result)


SYNC_KIND = register(
    JobKind(name="sync", label=_("Sync"), params=SyncParams, on_ended=sync_task_follow_job)
)


def syncs_run_scheduled(*, now: dt.datetime | None = None) -> int:
    """Profiles whose cron schedule came due (telcost.syncs.schedule): sync the previous and the
    current month.

    Only active profiles that were not deleted (SyncProfile.objects leaves those out). Claimed
    with a conditional UPDATE, so two workers never both start one.
    """
    now = now or timezone.now()
    started = 0
    for profile in SyncProfile.objects.filter(active=True).exclude(schedule=""):
        due = schedule_next_run(profile)
        if due is None or due > now:
            continue
        with transaction.atomic():
            # Not if another worker took it, or it was deactivated or deleted since it was read.
            if not SyncProfile.objects.filter(
                pk=profile.pk, active=True, last_scheduled_run_at=profile.last_scheduled_run_at
            ).update(last_scheduled_run_at=now):
                continue
            current = cycle_start_of(now)
            for month in (previous_cycle(current), current):
                _dispatch(
                    profile=profile,
                    cycle_start=month,
                    user=None,
                    manual=False,
                    dedupe_key=sync_dedupe_key(profile=profile, cycle_start=month),
                )
            started += 1
    return started
