"""Job and Step: the records the browser polls. The task backend's rows are plumbing."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Job(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        COMPLETED_WITH_FAILURES = "completed_with_failures"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE = (Status.PENDING, Status.RUNNING)
    DONE_STATES = (Status.COMPLETED, Status.COMPLETED_WITH_FAILURES)
    FAILED_STATES = (Status.FAILED, Status.CANCELLED)

    kind = models.CharField(max_length=64)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.PENDING)
    progress_done = models.PositiveIntegerField(default=0)
    progress_failed = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    # Two dispatches with one key while the first is active give one job: a partial
    # unique index decides, not a read-then-write race.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL: no dedupe, never collides
    # Chains with one lock key (e.g. a customer-month) run one after the other, whole: a chain
    # takes its key when its first step is claimed (lock_acquired_at) and holds it until it ends,
    # however it ends. The partial unique index below is the lease; the database decides.
    lock_key = models.CharField(max_length=200, blank=True, default="")
    lock_acquired_at = models.DateTimeField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    # A fan-out child whose work was already being done by another active job follows
    # that job instead of running it twice, and ends with its outcome.
    follows = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="followers"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the kind's reaction to the job's end (JobKind.on_ended) ran: after the job's end
    # committed. Empty on an ended job means it has not run yet; the recovery sweep sees to it.
    reacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(status__in=["pending", "running"]),
                name="job_dedupe_key_active",
            ),
            models.UniqueConstraint(
                fields=["lock_key"],
                condition=Q(lock_acquired_at__isnull=False, status__in=["pending", "running"]),
                name="job_lock_key_held",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["parent", "status"]),
            # Chains waiting for a key, asked at each first claim: few rows, however many ended.
            models.Index(
                fields=["lock_key", "id"],
                condition=Q(status__in=["pending", "running"]),
                name="job_lock_key_active",
            ),
            # Ended jobs whose reaction has not run, asked by every recovery sweep: few rows.
            models.Index(
                fields=["finished_at"],
                condition=Q(reacted_at__isnull=True),
                name="job_reaction_pending",
            ),
        ]
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Job {self.pk} {self.kind} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class Step(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting"
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        SKIPPED = "skipped"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    run_after = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="step_position_per_job")
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]
        ordering = ["job_id", "position"]

    def __str__(self) -> str:
        return f"Step {self.pk} {self.name} {self.status}"
