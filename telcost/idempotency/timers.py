"""Worker timers of the idempotency app."""

from telcost.idempotency.services import idempotency_keys_delete_expired
from telcost.jobs.timers import every


@every(600, name="idempotency.delete_expired")
def _delete_expired_keys() -> None:
    idempotency_keys_delete_expired()
