"""What a sync knows of a paged provider's answers: the pages imported before, by position and body.

A page is recorded as a SyncedPage in the transaction of its import and checkpoint, so
a crash never leaves a claim for a page that was not imported. A page with any rejected
record is not recorded: its reasons belong in every task that reads it, and a record
refused for another customer's device may be accepted once the device moves. Such
pages are rare and are imported again each time.
"""

from telcost.integrations.providers.base import Page
from telcost.syncs.models import SyncedPage, SyncTask


def synced_pages(*, task: SyncTask) -> dict[tuple[int, str], SyncedPage]:
    """The profile's pages imported for the task's month, by (position, body digest)."""
    pages = SyncedPage.objects.filter(profile_id=task.profile_id, cycle_start=task.cycle_start)
    return {(p.position, p.sha256): p for p in pages}


def synced_page_record(*, task: SyncTask, page: Page, fetched: int, result) -> None:
    """Record an imported page's body, unless some record of it was rejected."""
    if page.body is None or result.rejected:
        return
    # One INSERT ... ON CONFLICT DO NOTHING: no SELECT or savepoint in every page's transaction
    # (get_or_create cost about 5 ms a page). A conflict means the same body was recorded already.
    SyncedPage.objects.bulk_create(
        [
            SyncedPage(
                profile_id=task.profile_id,
                cycle_start=task.cycle_start,
                position=page.body.position,
                sha256=page.body.sha256,
                next_page=page.checkpoint.get("next_page"),
                records=len(page.rows),
                task=task,
                fetched=fetched,
            )
        ],
        ignore_conflicts=True,
    )
