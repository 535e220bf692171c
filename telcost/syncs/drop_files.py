"""What a sync knows of the drop files it reads: counts per file, and the files read in full.

A file is imported whole or not at all: its pages in one transaction with the checkpoint
past it (services.sync_run). Its counts are added up over those pages and it is recorded
as a SyncedFile in that transaction, so a file is known as read only together with its
records. A file some of whose records were refused for belonging to another customer's
device is not recorded: that device may be moved, and the file must then be read again.
"""

from dataclasses import dataclass

from telcost.integrations.providers.base import FileRead
from telcost.syncs.models import SyncedFile, SyncTask


def synced_files(*, task: SyncTask) -> dict[str, SyncedFile]:
    """The profile's files read in full for the task's month, by content digest."""
    return {
        f.sha256: f
        for f in SyncedFile.objects.filter(profile_id=task.profile_id, cycle_start=task.cycle_start)
    }


@dataclass
class DropFileCounts:
    """One file's counts so far, over the pages of its transaction."""

    fetched: int = 0
    stored: int = 0
    rejected: int = 0
    refused_devices: int = 0

    def add(self, *, fetched: int, result) -> None:
        self.fetched += fetched
        self.stored += result.imported + result.duplicates
        self.rejected += result.rejected
        self.refused_devices += result.refused_devices


def synced_file_record(*, task: SyncTask, file: FileRead, counts: DropFileCounts) -> None:
    """Record a file read in full, unless it changed while read or refused another's device."""
    if file.sha256 is None or counts.refused_devices:
        return
    SyncedFile.objects.get_or_create(
        profile_id=task.profile_id,
        cycle_start=task.cycle_start,
        sha256=file.sha256,
        defaults={
            "name": file.name,
            "task": task,
            "fetched": counts.fetched,
            "stored": counts.stored,
            "rejected": counts.rejected,
        },
    )


def skipped_file_note(synced: SyncedFile) -> list[dict]:
    """Where the reasons of an unchanged file's rejected records are: in the task that read it."""
    if not synced.rejected:
        return []
    return [
        {
            "file": synced.name,
            "reason": f"unchanged since sync task {synced.task_id} read it; "
            f"its {synced.rejected} rejected records are listed there",
        }
    ]
