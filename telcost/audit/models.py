"""The audit log: one immutable row per create, change or delete of master data, and per dispatched
job.

Who and what are copied into the row (ids and names, no foreign keys): an entry outlives the
user, customer or object it names, and deleting those never touches it.
"""

from django.db import models
from django.utils import timezone


class AuditEntryImmutable(Exception):
    """Audit entries are written once and never changed or deleted."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditEntryImmutable("audit entries cannot be changed")

    def delete(self):
        raise AuditEntryImmutable("audit entries cannot be deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditEntryImmutable("audit entries cannot be changed")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATED = "created", "created"
        CHANGED = "changed", "changed"
        DELETED = "deleted", "deleted"
        DISPATCHED = "dispatched", "dispatched"

    at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(
        null=True, blank=True
    )  # None: a worker or a command ("system")
    actor = models.CharField(max_length=150)  # the username then, or "system"
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    object_name = models.CharField(max_length=255, blank=True, default="")
    customer_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(
        default=dict, blank=True
    )  # {field: [old, new]}, credentials as "***"

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer_id", "-at"], name="audit_customer_at"),
            models.Index(fields=["-at"], name="audit_at"),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} "
            f"{self.object_type} {self.object_id}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditEntryImmutable("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEntryImmutable("audit entries cannot be deleted")
