"""Customer menu → Audit log: who changed what of the customer, newest first, 50 a page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from telcost.accounts.access import AUDIT, customer_for_user
from telcost.audit.selectors import (
    PAGE_SIZE,
    AuditFilterError,
    AuditFilters,
    audit_actors,
    audit_entries_filtered,
    audit_entries_of_customer,
    audit_filters,
)
from telcost.audit.services import OBJECT_TYPES

OBJECT_TYPE_LABELS = {
    "customer": _("Customer"),
    "device": _("Device"),
    "cost_center": _("Cost center"),
    "cost_center_assignment": _("Cost center assignment"),
    "rate_plan": _("Rate plan"),
    "rate_plan_version": _("Rate plan version"),
    "sync_profile": _("Sync profile"),
    "alert_rule": _("Alert rule"),
    "user": _("User"),
    "membership": _("Membership"),
    "job": _("Job"),
}
ACTION_LABELS = {
    "created": _("created"),
    "changed": _("changed"),
    "deleted": _("deleted"),
    "dispatched": _("dispatched"),
}
assert set(OBJECT_TYPE_LABELS) == set(OBJECT_TYPES)
# The fields of the audited models; a field added later shows its own name until it is listed here.
FIELD_LABELS = {
    "name": _("Name"),
    "kind": _("Kind"),
    "rate_plan": _("Rate plan"),
    "partner": _("Partner"),
    "external_ref": _("External reference"),
    "msisdn": _("MSISDN"),
    "iccid": _("ICCID"),
    "label": _("Label"),
    "user_name": _("User name"),
    "customer": _("Customer"),
    "activated_on": _("Activated on"),
    "deactivated_on": _("Deactivated on"),
    "code": _("Code"),
    "device": _("Device"),
    "cost_center": _("Cost center"),
    "valid_from": _("Valid from"),
    "monthly_fee": _("Monthly fee"),
    "definition": _("Definition"),
    "provider": _("Provider"),
    "settings": _("Settings"),
    "credentials_encrypted": _("Credentials"),
    "schedule": _("Schedule"),
    "active": _("Active"),
    "username": _("Username"),
    "email": _("Email"),
    "password": _("Password"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "is_staff": _("Staff"),
    "is_active": _("Active"),
    "is_superuser": _("Superuser"),
    "user": _("User"),
    "role": _("Role"),
    "metric": _("Metric"),
    "scope": _("Scope"),
    "target": _("Target"),
    "threshold": _("Threshold"),
    "recipients": _("Recipients"),
    "language": _("Language"),
    "created_by": _("Created by"),
}


def _shown(value):
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return "—" if value is None or value == "" else value


@login_required
def audit_page(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=AUDIT)
    entries = audit_entries_of_customer(customer.pk)
    error = None
    try:
        filters = audit_filters(
            object_type=request.GET.get("object_type"),
            actor=request.GET.get("actor"),
            since=request.GET.get("since"),
            until=request.GET.get("until"),
        )
    except AuditFilterError as exc:
        error, filters = str(exc), AuditFilters()
    page = Paginator(audit_entries_filtered(entries, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for entry in page.object_list:
        entry.type_label = OBJECT_TYPE_LABELS.get(entry.object_type, entry.object_type)
        entry.action_label = ACTION_LABELS.get(entry.action, entry.action)
        # The field's name last: the page shows a coded value (a provider, a kind) by its label.
        entry.change_rows = [
            (FIELD_LABELS.get(name, name), _shown(old), _shown(new), name)
            for name, (old, new) in entry.changes.items()
        ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {
            "customer": customer,
            "page": page,
            "filters": filters,
            "error": error,
            "object_types": list(OBJECT_TYPE_LABELS.items()),
            "actors": audit_actors(entries),
            "query": query.urlencode(),
        },
    )
