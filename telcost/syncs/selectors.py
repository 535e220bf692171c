"""Reads of the syncs app. Credentials are never part of any answer."""

from telcost.syncs.models import SyncProfile, SyncTask


def sync_profile_as_dict(profile: SyncProfile) -> dict:
    return {"id": profile.pk, "name": profile.name, "provider": profile.provider, "settings": profile.settings,
            "schedule": profile.schedule, "active": profile.active, "has_credentials": bool(profile.credentials_encrypted)}


def sync_task_status(task: SyncTask) -> dict:
    status = task.status
    # A job that ended without its handler saying so (a worker lost for good) still shows truthfully.
    if task.job is not None and task.job.status in ("failed", "cancelled") and status != SyncTask.Status.COMPLETED:
        status = SyncTask.Status.FAILED
    return {
        "id": task.pk,
        "status": status,
        "error": task.error or (task.job.error if task.job and status == "failed" else ""),
        "cycle_start": task.cycle_start.isoformat(),
        "manual_trigger": task.manual_trigger,
        "counts": {"fetched": task.fetched, "imported": task.imported, "duplicates": task.duplicates,
                   "rejected": task.rejected},
        "errors": task.errors[:50],
        "job_id": task.job_id,
    }
