"""Step handlers of the addon workflows: thin, the service does the work."""

from django.utils.translation import gettext_lazy as _

from telcost.addons.services import addon_change_run
from telcost.jobs.registry import step


@step(
    "ActivateRoutitAddonsCommand",
    label=_("Activate the addon at Routit"),
    max_attempts=3,
    backoff_base_s=1.0,
)
def activate_routit_addons(ctx) -> dict:
    return addon_change_run(job=ctx.job, attempt=ctx.attempt, max_attempts=ctx.step.max_attempts)


@step(
    "CancelRoutitAddonsCommand",
    label=_("Cancel the addon at Routit"),
    max_attempts=3,
    backoff_base_s=1.0,
)
def cancel_routit_addons(ctx) -> dict:
    return addon_change_run(job=ctx.job, attempt=ctx.attempt, max_attempts=ctx.step.max_attempts)
