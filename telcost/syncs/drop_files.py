"""What a sync knows of the drop files it reads: counts per file, and the files read in full.

A file's counts ride along in the task's checkpoint while it is read page by page (so
a resumed run continues them), and are recorded as a SyncedFile in the transaction of
its last page. A file some of whose records were refused for belonging to another
customer's device is not recorded: that device may be moved, and the file must then
be read again.
"""

from telcost.integrations.providers.base import FileRead
from telcost.syncs.models import SyncedFile, SyncTask

_ZERO = {"fetched": 0, "stored": 0, "rejected": 0, "refused_devices": 0}


def synced_files(*, task: SyncTask) -> dict[str, SyncedFile]:
    """The profile's files read in full for the task's month, by content digest."""
    return {f.sha256: f for f in SyncedFile.objects.filter(profile_id=task.profile_id, cycle_start=task.cycle_start)}


def drop_file_progress(*, task: SyncTask, file: FileRead, checkpoint: dict, fetched: int, result) -> dict:
    """The page's checkpoint, carrying the file's counts so far; the file recorded once read in full."""
    previous = task.checkpoint.get("file_counts", {})
    same_file = previous.get("name") == file.name and previous.get("sha256") == checkpoint.get("sha256", file.sha256)
    counts = {key: (previous.get(key, 0) if same_file else 0) for key in _ZERO}
    counts["fetched"] += fetched
    counts["stored"] += result.imported + result.duplicates
    counts["rejected"] += result.rejected
    counts["refused_devices"] += result.refused_devices
    if not file.complete:
        return {**checkpoint, "file_counts": {"name": file.name, "sha256": checkpoint.get("sha256"), **counts}}
    if file.sha256 is not None and not counts["refused_devices"]:
        SyncedFile.objects.get_or_create(
            profile_id=task.profile_id, cycle_start=task.cycle_start, sha256=file.sha256,
            defaults={"name": file.name, "task": task, "fetched": counts["fetched"], "stored": counts["stored"],
                      "rejected": counts["rejected"]},
        )
    return checkpoint


def skipped_file_note(synced: SyncedFile) -> list[dict]:
    """Where the reasons of an unchanged file's rejected records are: in the task that read it."""
    if not synced.rejected:
        return []
    return [{"file": synced.name, "reason": f"unchanged since sync task {synced.task_id} read it; "
             f"its {synced.rejected} rejected records are listed there"}]
