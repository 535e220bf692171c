"""The worker side removes expired export files."""

from telcost.exports.services import exports_expire
from telcost.jobs.timers import every


@every(3600, name="exports.expire")
def expire_exports() -> None:
    exports_expire()
