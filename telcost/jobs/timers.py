"""The jobs app's own timers: the recovery sweep and the clean-up of finished task rows."""

from django.conf import settings

from telcost.core.timers import every
from telcost.jobs.recovery import finished_task_rows_delete, recover_lost_steps


@every(lambda: settings.JOBS_SWEEP_SECONDS, name="jobs.recovery")
def _recovery_sweep() -> None:
    recover_lost_steps()


@every(3600, name="jobs.finished_task_rows")
def _finished_task_rows_delete() -> None:
    finished_task_rows_delete()
