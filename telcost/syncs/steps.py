"""Step handlers of a sync: thin, the services do the work."""

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

from telcost.jobs.kinds import job_params
from telcost.jobs.registry import step
from telcost.syncs.models import SyncTask
from telcost.syncs.services import SYNC_KIND, sync_dispatch_totals, sync_run

# A page, or a drop file, is imported and checkpointed in one transaction, so a retry after
# trouble with the database itself (a lost connection, a deadlock, a locked SQLite) resumes where
# it stopped.
# A provider's transient trouble arrives as TransientError; refused credentials as PermanentError.
DATABASE_TROUBLE = (OperationalError, InterfaceError)


def _task(ctx) -> SyncTask:
    return SyncTask.objects.select_related("profile", "profile__customer").get(
        pk=job_params(ctx.job, SYNC_KIND).sync_task_id
    )


@step(
    "SyncProfileCommand",
    label=_("Fetch the provider's CDRs"),
    max_attempts=3,
    backoff_base_s=2.0,
    transient=DATABASE_TROUBLE,
)
def sync_profile(ctx) -> dict:
    return sync_run(
        task=_task(ctx),
        progress=lambda fetched: ctx.progress(fetched),
        progress_in_transaction=ctx.progress_in_transaction,
    )


@step(
    "DispatchTotalsCommand",
    label=_("Start the recalculation"),
    max_attempts=3,
    transient=DATABASE_TROUBLE,
)
def dispatch_totals(ctx) -> dict:
    return sync_dispatch_totals(task=_task(ctx), user=ctx.job.created_by)
