"""The first answers to POSTs sent with an Idempotency-Key header, replayed to repeats for 24 h."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """One key of one user: the request it came with (by fingerprint) and the answer it got.

    Written in the transaction of the work the request dispatched, so an answer is never
    recorded for work that was not queued, nor work queued without its answer.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path with its query and the body: another request
    # under the same key is 422.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    # The answer's JSON as text: PostgreSQL's jsonb would reorder its keys, and a replay
    # is the same body.
    answer = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "idempotency_key"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]
