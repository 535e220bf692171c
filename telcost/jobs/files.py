"""Files a job works on (an upload stored before its dispatch): removed once nothing needs them.

A workflow stores its file, then dispatches the job that reads it, in one transaction; the kind's
on_ended removes the file. Two cases leave a file behind, and the workflow's timer sweeps them
with `job_files_expire`: the transaction rolled back (or the process died) after the file was
stored, so no job names it; or on_ended could not remove it.
"""

import datetime as dt
import logging

from django.core.files.storage import default_storage

from telcost.jobs.models import Job

logger = logging.getLogger("telcost.jobs")

# A file younger than this may belong to a dispatch whose transaction has not committed yet.
ORPHAN_GRACE = dt.timedelta(hours=1)


def job_file_delete(path: str) -> None:
    """Remove a job's file; one already gone is nothing to do, one that cannot go is logged (the
    workflow's sweep tries again)."""
    try:
        default_storage.delete(path)
    except OSError:
        logger.warning("could not remove %s; the sweep tries again", path, exc_info=True)


def job_files_expire(
    *, folder: str, kind: str, now: dt.datetime, keep_after_end: dt.timedelta = dt.timedelta(0)
) -> int:
    """Remove the files of `folder` whose `kind` job (params.file) ended more than keep_after_end
    ago, and those no job names that are older than that and than ORPHAN_GRACE. Returns how many.
    """
    cutoff = now - keep_after_end
    try:
        _folders, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"{folder}/{name}"
        job = Job.objects.filter(kind=kind, params__file=path).only("status", "finished_at").first()
        if job is None:
            # Stored before its job's transaction committed, or that transaction rolled back.
            expired = default_storage.get_modified_time(path) < min(cutoff, now - ORPHAN_GRACE)
        else:
            expired = (
                job.status not in Job.ACTIVE
                and job.finished_at is not None
                and job.finished_at <= cutoff
            )
        if expired:
            job_file_delete(path)
            removed += 1
    return removed
