"""Labels for values stored in English (statuses, kinds, steps): `{% load telcost_web %}{{ job.status|status_label }}`.

The database keeps the stable English codes the API answers with; pages show
them in the user's language. Job kinds and steps carry their labels where their apps
register them (jobs.kinds, jobs.registry). An unknown code is shown as it is.
"""

from django import template
from django.utils.translation import gettext_lazy as _

from telcost.jobs.kinds import label_of
from telcost.jobs.registry import step_label as registered_step_label

register = template.Library()

STATUS_LABELS = {
    # Job
    "pending": _("pending"),
    "running": _("running"),
    "completed": _("completed"),
    "completed_with_failures": _("completed with failures"),
    "failed": _("failed"),
    "cancelled": _("cancelled"),
    # Step
    "waiting": _("waiting"),
    "queued": _("queued"),
    "succeeded": _("succeeded"),
    "skipped": _("skipped"),
}

CUSTOMER_KIND_LABELS = {
    "standard": _("standard"),
    "rateplan": _("rate plan"),
}

ACTIVE_STATUSES = frozenset({"pending", "running"})


@register.filter
def status_label(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


@register.filter
def kind_label(code: str) -> str:
    """A job's kind or a customer's kind in the user's language."""
    return label_of(code, default=str(CUSTOMER_KIND_LABELS.get(code, str(code).replace("_", " "))))


@register.filter
def step_label(name: str) -> str:
    """A step in the user's language ("Totalen berekenen" for CalculateTotalsCommand)."""
    return registered_step_label(name)


@register.filter
def is_active_status(code: str) -> bool:
    return code in ACTIVE_STATUSES


@register.filter
def percent(done, total) -> int:
    """Whole percent of done out of total (0 when there is no total), for progress bars' widths."""
    try:
        done, total = int(done or 0), int(total or 0)
    except (TypeError, ValueError):
        return 0
    if total <= 0:
        return 0
    return max(0, min(100, done * 100 // total))


@register.filter
def scalar_items(mapping, limit: int = 12) -> list[tuple[str, object]]:
    """The top-level numbers and words of a job's result (e.g. an import's counts), for a short summary."""
    if not isinstance(mapping, dict):
        return []
    items = [(str(k), v) for k, v in mapping.items() if isinstance(v, str | int | float) and not isinstance(v, bool)]
    return items[: int(limit)]
