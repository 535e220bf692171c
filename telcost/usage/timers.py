"""The worker side removes stored CDR uploads whose days of keeping are over."""

from telcost.core.timers import every
from telcost.usage.imports.services import cdr_uploads_expire


@every(3600, name="usage.uploads_expire")
def expire_uploads() -> None:
    cdr_uploads_expire()
