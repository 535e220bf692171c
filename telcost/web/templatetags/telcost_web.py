"""Labels for values stored in English (statuses, kinds, reasons, addons): `{% load telcost_web %}{{
job.status|status_label }}`.

The database keeps the stable English codes the API answers with; pages show
them in the user's language. Job kinds and steps carry their labels where their apps
register them (jobs.kinds, jobs.registry). An unknown code is shown as it is. Stored messages
(a job's error, an import's reasons) go through `reader_text` (telcost.web.reader_text).
"""

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from telcost.addons.selectors import addon_label as _addon_label
from telcost.core import formatting
from telcost.core.formatting import number_style
from telcost.jobs.kinds import label_of
from telcost.jobs.registry import step_label as registered_step_label
from telcost.web.reader_text import reader_text as _reader_text
from telcost.web.templatetags.telcost_formats import local_date, money

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
    # Addon, sync task, export
    "active": _("active"),
    "expired": _("expired"),
    # An addon request's outcome
    "success": _("success"),
    "rate_limited": _("rate limited"),
    "api_failure": _("API failure"),
    "unknown": _("unknown"),
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


# Why a version of a month's totals was made (TotalsBackup.reason).
REASON_LABELS = {
    "manual": _("manual"),
    "admin": pgettext_lazy("reason", "admin"),
    "sync": pgettext_lazy("reason", "sync"),
    "partner range": _("partner range"),
}

# Where a sync profile fetches its CDRs (SyncProfile.provider).
PROVIDER_LABELS = {
    "file_drop": _("drop folder"),
    "http_api": _("provider's HTTP API"),
    "routit": "Routit",
}

ADDON_STATUS_LABELS = {"cancelled": pgettext_lazy("addon", "cancelled")}

# A member's role (Membership.role).
ROLE_LABELS = {"viewer": _("viewer"), "manager": _("manager")}

# An addon request's action (AddonLog.action).
ADDON_ACTION_LABELS = {
    "activate": _("activation"),
    "cancel": _("cancellation"),
}

# The top-level figures of a job's result, with how a page writes them; other keys are not shown.
RESULT_FIELDS = {
    "fetched": (_("Fetched"), "count"),
    "imported": (_("Imported"), "count"),
    "duplicates": (_("Duplicates"), "count"),
    "rejected": (_("Rejected"), "count"),
    "skipped_other_months": (_("Other months"), "count"),
    "refused_devices": (_("Other customers' devices"), "count"),
    "file_bytes": (_("File size"), "bytes"),
    "version": (_("Version"), "count"),
    "total_cost": (_("Total"), "money"),
    "subscription_cost": (_("Subscriptions"), "money"),
    "anomalies": (_("Anomalies"), "count"),
    "idle_devices": (_("Idle devices"), "count"),
    "alerts_fired": (_("Alerts fired"), "count"),
    "status": (_("Status"), "status"),
    "provider_reference": (_("Reference"), "text"),
    "mail": (_("Mail"), "text"),
    # A rate-plan simulation's (its page shows the rest).
    "best_plan": (_("Best plan"), "text"),
    "best_total": (_("Total on the best plan"), "money"),
    "savings": (_("Savings"), "money"),
}


@register.filter
def reason_label(code) -> str:
    return str(REASON_LABELS.get(code, code)) if code else "—"


@register.filter
def addon_label(code: str) -> str:
    return _addon_label(code)


@register.filter
def provider_label(code: str) -> str:
    return str(PROVIDER_LABELS.get(code, code))


@register.filter
def addon_status_label(code: str) -> str:
    """An addon's status: a cancelled addon is "opgezegd" (a subscription's word), not a job's
    "geannuleerd"."""
    return str(ADDON_STATUS_LABELS.get(code) or status_label(code))


@register.filter
def addon_action_label(code: str) -> str:
    return str(ADDON_ACTION_LABELS.get(code, code))


@register.filter
def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))


@register.filter
def audit_value(value, field: str) -> str:
    """An audited field's old or new value as a page names it: codes as labels, dates and money
    formatted."""
    if field == "provider":
        return provider_label(value)
    if field == "kind":
        return kind_label(value)
    if field == "role":
        return str(ROLE_LABELS.get(value, value))
    if field in {"activated_on", "deactivated_on", "valid_from"}:
        return local_date(value) or value
    if field == "monthly_fee":
        return money(value) or value
    return value


@register.filter
def reader_text(message) -> str:
    """A stored message (a job's error, an import's reason) in the reader's language."""
    return _reader_text(message)


@register.filter
def result_items(mapping) -> list[tuple[str, str]]:
    """The figures of a job's result a person reads, labelled and formatted in their language."""
    if not isinstance(mapping, dict):
        return []
    style = number_style()
    items = []
    for key, (label, kind) in RESULT_FIELDS.items():
        value = mapping.get(key)
        if value is None or value == "" or isinstance(value, bool | dict | list):
            continue
        if kind == "count":
            text = formatting.count_text(value, style)
        elif kind == "money":
            text = formatting.money_text(value, style)
        elif kind == "bytes":
            number = formatting.as_decimal(value)
            text = formatting.volume_text(number / 1024 if number is not None else value, style)
        elif kind == "status":  # an addon request's: active or cancelled
            text = addon_status_label(value)
        else:
            text = _reader_text(value)
        items.append((str(label), text))
    return items
