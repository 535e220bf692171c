"""GET /api/audit: the audit log, paged, for staff (all) and managers (their customers)."""

import datetime as dt

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from telcost.accounts.access import AUDIT, customer_for_user
from telcost.audit.selectors import (
    AuditFilterError,
    audit_entries_filtered,
    audit_entries_for,
    audit_entries_of_customer,
    audit_filters,
)
from telcost.core.api_schemas import answers
from telcost.core.paging import PageQuery, paged

router = Router(tags=["audit"])


class AuditQuery(PageQuery):
    customer_id: int | None = Field(default=None, ge=1, le=2**62)
    object_type: str | None = Field(default=None, max_length=40)
    actor: str | None = Field(default=None, max_length=150)
    since: dt.date | None = None
    until: dt.date | None = None


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    actor_id: int | None
    action: str
    object_type: str
    object_id: int
    object_name: str
    customer_id: int | None
    changes: dict[str, list]


class AuditPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[AuditEntryOut]


@router.get("/api/audit", response=answers({200: AuditPage}, 403, 404))
def audit_log(request, query: Query[AuditQuery]):
    try:
        filters = audit_filters(
            object_type=query.object_type, actor=query.actor, since=query.since, until=query.until
        )
    except AuditFilterError as exc:
        raise HttpError(400, str(exc)) from None
    if query.customer_id is not None:
        customer = customer_for_user(user=request.user, customer_id=query.customer_id, right=AUDIT)
        entries = audit_entries_of_customer(customer.pk)
    else:
        entries = audit_entries_for(request.user)
    return paged(
        audit_entries_filtered(entries, filters), page=query.page, page_size=query.page_size
    )
