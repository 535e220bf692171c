"""Worker timers of the idempotency app."""

from telcost.core.timers import every
from telcost.idempotency.services import idempotency_keys_delete_expired


@every(600, name="idempotency.delete_expired")
def _delete_expired_keys() -> None:
    idempotency_keys_delete_expired()
