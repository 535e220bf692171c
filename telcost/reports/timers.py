"""Monthly reports start inside the workers: each subscription's month is claimed once."""

from telcost.core.timers import every
from telcost.reports.services import reports_run_due


@every(60, name="reports.monthly")
def run_due_reports() -> None:
    reports_run_due()
