"""The worker side removes expired export files and dead attempts' parts, and retries mails."""

from django.conf import settings

from telcost.core.timers import every
from telcost.exports.services import export_parts_sweep, exports_expire, exports_mail_retry


@every(3600, name="exports.expire")
def expire_exports() -> None:
    exports_expire()
    export_parts_sweep()


@every(lambda: settings.JOBS_SWEEP_SECONDS, name="exports.mail_retry")
def retry_export_mails() -> None:
    exports_mail_retry()
