"""The seed's addon endpoint and the customer's addons."""

import datetime as dt
from typing import Literal

from django.http import JsonResponse
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.access import MANAGE_ADDONS, customer_for_user
from telcost.addons.models import AddonType, CustomerAddon
from telcost.addons.selectors import addons_of_customer
from telcost.addons.services import AddonRequestError, addon_change_dispatch
from telcost.core.api_schemas import Out, answers
from telcost.idempotency.decorators import idempotent

router = Router(tags=["addons"])


class ModifyAddonsIn(Schema):
    addonsAction: Literal["activate", "cancel"]  # noqa: N815 - the seed's field name
    addon_type: Literal[tuple(AddonType.values)] = AddonType.DATA_BOOST.value


class AddonChangeAccepted(Out):
    status: Literal["success"]
    job_id: int
    status_url: str
    joined: bool  # True: an identical request was pending or running, this is its job


class TooManyRequests(Schema):
    error: str
    # Seconds until the customer's window has room (also the Retry-After header); the error shape
    # requires only `error`.
    retry_after: int | None = None


class AddonOut(Out):
    id: int
    addon_type: str
    status: Literal[tuple(CustomerAddon.Status.values)]
    data_mb: int
    activated_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    provider_reference: str


class AddonLogOut(Out):
    action: str
    addon_type: str
    outcome: str
    error: str
    user: str | None
    created_at: dt.datetime


class CustomerAddonsOut(Out):
    addons: list[AddonOut]
    history: list[AddonLogOut]


# 409: nothing to cancel; 429: the provider's window is full.
@router.post(
    "/simaction/simcard/modify-addons/{customer_id}",
    response=answers({202: AddonChangeAccepted, 429: TooManyRequests}, 403, 404, 409),
)
@idempotent
def modify_addons(request, customer_id: int, payload: ModifyAddonsIn):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MANAGE_ADDONS)
    try:
        dispatched = addon_change_dispatch(
            customer=customer,
            user=request.user,
            action=payload.addonsAction,
            addon_type=payload.addon_type,
        )
    except AddonRequestError as exc:
        if exc.retry_after is not None:
            body = {"error": str(exc), "retry_after": exc.retry_after}
            return JsonResponse(
                body, status=exc.status, headers={"Retry-After": str(exc.retry_after)}
            )
        raise HttpError(exc.status, str(exc)) from None
    return Status(
        202,
        {
            "status": "success",
            "job_id": dispatched.pk,
            "status_url": f"/api/jobs/{dispatched.pk}",
            "joined": dispatched.joined,
        },
    )


@router.get("/api/customers/{customer_id}/addons", response=answers({200: CustomerAddonsOut}, 404))
def customer_addons(request, customer_id: int):
    return addons_of_customer(
        customer_id=customer_for_user(user=request.user, customer_id=customer_id).pk
    )
