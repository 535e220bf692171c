"""Customer menu → Audit log: who changed what of the customer, newest first, 50 a page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from telcost.accounts.rules import AUDIT
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
from telcost.customers.selectors import customer_for_user

OBJECT_TYPE_LABELS = {
    "customer": _("Customer"),
    "device": _("Device"),
    "cost_center": _("Cost center"),
    "cost_center_assignment": _("Cost center assignment"),
    "rate_plan": _("Rate plan"),
    "sync_profile": _("Sync profile"),
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


@login_required
def audit_page(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id, perm=AUDIT)
    entries = audit_entries_of_customer(customer.pk)
    error = None
    try:
        filters = audit_filters(object_type=request.GET.get("object_type"), actor=request.GET.get("actor"),
                                since=request.GET.get("since"), until=request.GET.get("until"))
    except AuditFilterError as exc:
        error, filters = str(exc), AuditFilters()
    page = Paginator(audit_entries_filtered(entries, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.type_label = OBJECT_TYPE_LABELS.get(entry.object_type, entry.object_type)
        entry.action_label = ACTION_LABELS.get(entry.action, entry.action)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/audit_log.html", {
        "customer": customer, "page": page, "filters": filters, "error": error,
        "object_types": list(OBJECT_TYPE_LABELS.items()), "actors": audit_actors(entries),
        "query": query.urlencode(),
    })
