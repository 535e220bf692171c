"""Rate plans and customers: POST /api/rate-plans, POST /api/customers, GET
/api/customers[/{id}]."""

import datetime as dt
from typing import Any, Literal

from django.http import Http404
from ninja import Body, Field, Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.access import customer_for_user, customers_for, require_staff
from telcost.core.api_schemas import CreatedId, Out, answers
from telcost.customers.models import Customer, RatePlan
from telcost.customers.selectors import customer_as_dict
from telcost.customers.services import CustomerInputError, customer_create, rate_plan_create

router = Router(tags=["customers"])


class CustomerIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["standard", "rateplan"] = "standard"
    rate_plan: str | None = Field(default=None, max_length=64)
    partner_id: int | None = Field(default=None, ge=1, le=2**62)
    external_ref: str = Field(default="", max_length=64)


class RatePlanCreated(Out):
    code: str


class CustomerStatus(Out):
    calculate_totals: bool
    totals_calculated_at: dt.datetime | None
    totals_calculated_by: str | None
    totals_version: int | None
    totals_outcome: str


class CustomerOut(Out):
    id: int
    name: str
    kind: Literal[tuple(Customer.Kind.values)]
    rate_plan: str | None
    partner_id: int | None
    is_partner: bool
    children: list[int]
    external_ref: str
    status: CustomerStatus


@router.post("/api/rate-plans", response=answers({201: RatePlanCreated}, 403, 409))
def create_rate_plan(request, payload: dict = Body(...)):
    require_staff(request.user)
    try:
        plan = rate_plan_create(definition=payload)
    except CustomerInputError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(201, {"code": plan.code})


@router.get("/api/rate-plans/{code}", response=answers({200: dict[str, Any]}, 403, 404))
def get_rate_plan(request, code: str):
    require_staff(request.user)
    plan = RatePlan.objects.filter(code=code).first()
    if plan is None:
        raise Http404("Unknown rate plan")
    return plan.definition


@router.post("/api/customers", response=answers({201: CreatedId}, 403, 409))
def create_customer(request, payload: CustomerIn):
    require_staff(request.user)
    try:
        customer = customer_create(**payload.dict())
    except CustomerInputError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(201, {"id": customer.pk})


@router.get("/api/customers", response=answers({200: list[CustomerOut]}))
def list_customers(request):
    return [customer_as_dict(c) for c in customers_for(request.user).select_related("rate_plan")]


@router.get("/api/customers/{customer_id}", response=answers({200: CustomerOut}, 404))
def get_customer(request, customer_id: int):
    customers = Customer.objects.select_related("rate_plan", "totals_calculated_by")
    return customer_as_dict(
        customer_for_user(user=request.user, customer_id=customer_id, queryset=customers)
    )
