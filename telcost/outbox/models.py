"""A mail that must go out once: queued in the transaction that decides it, sent after."""

from django.db import models


class OutgoingMail(models.Model):
    """One mail, known by its key ("alert:12", "report:3:2026-11"): a second queueing of the same
    key is the same mail, so a step that runs again never mails twice."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        RETRYING = "retrying"
        FAILED = "failed"

    key = models.CharField(max_length=200, unique=True)
    to = models.JSONField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    tries = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    next_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "next_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
