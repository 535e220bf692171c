"""GET/POST /api/report-subscriptions, PATCH/DELETE /api/report-subscriptions/{id}."""

import datetime as dt
from typing import Literal

from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from telcost.core.api_schemas import CreatedId, Out, answers
from telcost.core.paging import PageQuery, paged
from telcost.customers.models import Customer
from telcost.reports.models import LAST_DAY, ReportSubscription
from telcost.reports.services import (
    ReportError,
    next_report_on,
    subscription_create,
    subscription_delete,
    subscription_for,
    subscription_update,
)

router = Router(tags=["reports"])
NOT_FOUND = "Report subscription not found"


class SubscriptionIn(Schema):
    customer_id: int = Field(ge=1, le=2**62)
    day_of_month: int = Field(
        ge=1,
        le=LAST_DAY,
        description="The day of the month the report of the month before is mailed (1–28: every "
        "month has these days).",
    )
    language: Literal["nl", "en"] = Field("nl", description="The mail's language")
    active: bool = True


class SubscriptionPatch(Schema):
    day_of_month: int | None = Field(None, ge=1, le=LAST_DAY)
    language: Literal["nl", "en"] | None = None
    active: bool | None = None


class SubscriptionOut(Out):
    id: int
    user_id: int
    customer_id: int
    customer_name: str
    day_of_month: int
    language: Literal["nl", "en"]
    active: bool
    last_sent_month: str | None = Field(description="YYYY-MM: the last month reported")
    next_report_on: dt.date | None = Field(description="null while paused")
    created_at: dt.datetime
    updated_at: dt.datetime


class SubscriptionPage(Out):
    count: int
    page: int
    page_size: int
    items: list[SubscriptionOut]


class ListQuery(PageQuery):
    user: int | None = Field(
        None, ge=1, le=2**62, description="staff: another user's subscriptions"
    )


def as_dict(subscription: ReportSubscription, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    last = subscription.last_sent_cycle
    return {
        "id": subscription.pk,
        "user_id": subscription.user_id,
        "customer_id": subscription.customer_id,
        "customer_name": subscription.customer.name,
        "day_of_month": subscription.day_of_month,
        "language": subscription.language,
        "active": subscription.active,
        "last_sent_month": f"{last:%Y-%m}" if last else None,
        "next_report_on": next_report_on(subscription, today),
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


def _own(request, subscription_id: int) -> ReportSubscription:
    subscription = subscription_for(user=request.user, subscription_id=subscription_id)
    if subscription is None:
        raise Http404(NOT_FOUND)
    return subscription


@router.get("/api/report-subscriptions", response=answers({200: SubscriptionPage}, 403, 404))
def list_subscriptions(request, query: Query[ListQuery]):
    """Your own subscriptions; staff may list another user's with ?user=."""
    rows = ReportSubscription.objects.select_related("customer")
    if query.user is not None and query.user != request.user.pk:
        if not request.user.is_staff:
            raise HttpError(403, "Unauthorized")
        if not get_user_model().objects.filter(pk=query.user).exists():
            raise Http404("User not found")
        rows = rows.filter(user_id=query.user)
    else:
        rows = rows.filter(user=request.user)
    page = paged(rows.order_by("customer__name", "pk"), page=query.page, page_size=query.page_size)
    today = timezone.localdate()
    return {**page, "items": [as_dict(row, today) for row in page["items"]]}


@router.post("/api/report-subscriptions", response=answers({201: CreatedId}, 403, 404, 409))
def create_subscription(request, payload: SubscriptionIn):
    try:
        subscription = subscription_create(
            user=request.user,
            customer=Customer.objects.filter(pk=payload.customer_id).first(),
            day_of_month=payload.day_of_month,
            language=payload.language,
            active=payload.active,
        )
    except ReportError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(201, {"id": subscription.pk})


@router.patch(
    "/api/report-subscriptions/{subscription_id}",
    response=answers({200: SubscriptionOut}, 403, 404),
)
def update_subscription(request, subscription_id: int, payload: SubscriptionPatch):
    subscription = _own(request, subscription_id)
    changes = payload.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        raise HttpError(400, "day_of_month, language and active cannot be null")
    try:
        subscription = subscription_update(subscription=subscription, changes=changes)
    except ReportError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return as_dict(subscription)


@router.delete(
    "/api/report-subscriptions/{subscription_id}", response=answers({204: None}, 403, 404)
)
def delete_subscription(request, subscription_id: int):
    subscription_delete(subscription=_own(request, subscription_id))
    return Status(204, None)
