"""Sync profiles (where a customer's CDRs come from) and sync tasks (one run of a profile for a
month)."""

from django.db import models


class LiveProfiles(models.Manager):
    """Profiles that were not deleted: what every page, endpoint and the scheduler see."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class SyncProfile(models.Model):
    """A deleted profile stays as a row (deleted_at) so its tasks keep their history; only
    `with_deleted` still finds it, and a task's `profile` (Django reads foreign keys through the
    plain base manager)."""

    class Provider(models.TextChoices):
        FILE_DROP = "file_drop"
        HTTP_API = "http_api"
        ROUTIT = "routit"

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="sync_profiles"
    )
    name = models.CharField(max_length=200)
    provider = models.CharField(max_length=16, choices=Provider.choices)
    settings = models.JSONField(default=dict, blank=True)
    # Fernet-encrypted JSON; see telcost.syncs.credentials. Never shown back.
    credentials_encrypted = models.TextField(blank=True, default="")
    schedule = models.CharField(max_length=100, blank=True, default="")  # cron, e.g. "0 3 * * *"
    active = models.BooleanField(default=True)
    # The scheduler's anchor (telcost.syncs.schedule): its last run, or when the schedule was set
    # or the profile activated.
    last_scheduled_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    with_deleted = models.Manager()
    objects = LiveProfiles()

    class Meta:
        db_table = "sync_profile"
        ordering = ["name", "id"]
        base_manager_name = "with_deleted"
        default_manager_name = "objects"

    def __str__(self) -> str:
        return self.name


class SyncTask(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    profile = models.ForeignKey(SyncProfile, on_delete=models.CASCADE, related_name="tasks")
    cycle_start = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    manual_trigger = models.BooleanField(default=False)
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fetched = models.PositiveBigIntegerField(default=0)
    imported = models.PositiveBigIntegerField(default=0)
    duplicates = models.PositiveBigIntegerField(default=0)
    rejected = models.PositiveBigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # Where a retried run resumes: the pages/files already imported and counted are not read again.
    checkpoint = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sync_task"
        ordering = ["-id"]


class SyncedFile(models.Model):
    """A drop file's content that a sync read in full for a profile and month.

    The same content is not read again for that month: every record it imported then
    is a duplicate now, and its bad records are as bad, so a re-sync reports these
    counts without reading it. A changed file has another digest and is read.
    """

    profile = models.ForeignKey(SyncProfile, on_delete=models.CASCADE, related_name="+")
    cycle_start = models.DateField()
    sha256 = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    task = models.ForeignKey(
        SyncTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fetched = models.PositiveBigIntegerField()
    stored = (
        models.PositiveBigIntegerField()
    )  # imported or already there: duplicates when read again
    rejected = models.PositiveBigIntegerField()
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "sync_synced_file"
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "cycle_start", "sha256"], name="synced_file_once_a_month"
            )
        ]


class SyncedPage(models.Model):
    """A paged provider's answer that a sync imported for a profile and month, known by its body.

    The same body at the same position is not decoded again for that month: every record
    it stored then is a duplicate now. Only pages without rejected records are recorded
    (see telcost.syncs.synced_pages), so a re-sync counts these as reading them would.
    A changed page has another digest and is imported.
    """

    profile = models.ForeignKey(SyncProfile, on_delete=models.CASCADE, related_name="+")
    cycle_start = models.DateField()
    position = models.PositiveIntegerField()  # the page number asked for
    sha256 = models.CharField(max_length=64)
    next_page = models.PositiveIntegerField(null=True, blank=True)  # what the body points to
    records = (
        models.PositiveIntegerField()
    )  # records in the body, this month's or not: the lines it takes
    task = models.ForeignKey(
        SyncTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Of the records, those of the month: all imported or already there (none rejected), so
    # all duplicates when read again.
    fetched = models.PositiveIntegerField()
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "sync_synced_page"
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "cycle_start", "position", "sha256"],
                name="synced_page_once_a_month",
            )
        ]
