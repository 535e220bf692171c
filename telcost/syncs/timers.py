"""Scheduled syncs run inside the workers: no second scheduler to operate."""

from telcost.core.timers import every
from telcost.syncs.services import syncs_run_scheduled


@every(30, name="syncs.scheduled")
def run_scheduled_syncs() -> None:
    syncs_run_scheduled()
