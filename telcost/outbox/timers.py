"""The outbox's retries run inside the workers."""

from telcost.core.timers import every
from telcost.outbox.services import outbox_send_due


@every(30, name="outbox.send_due")
def send_due_mails() -> None:
    outbox_send_due()
