"""Rate plans and customers: GET/POST /api/rate-plans, GET /api/rate-plans/{code}, POST
/api/rate-plans/{code}/versions, POST /api/customers, GET /api/customers[/{id}]."""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from ninja import Body, Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.access import (
    READ_RATE_PLAN,
    VIEW,
    customer_for_user,
    customers_for,
    rate_plan_for_user,
    rate_plans_for,
    require_staff,
)
from telcost.core.api_schemas import CreatedId, Money, Out, answers
from telcost.core.paging import PageQuery, paged
from telcost.customers.models import Customer
from telcost.customers.selectors import (
    customer_as_dict,
    rate_plan_as_dict,
    rate_plan_current_version,
)
from telcost.customers.services import (
    CustomerInputError,
    customer_create,
    rate_plan_create,
    rate_plan_version_add,
)

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
    """The document of the version that rates this month."""
    plan = rate_plan_for_user(user=request.user, code=code)
    return rate_plan_current_version(plan.pk).definition


class RatePlanVersionOut(Out):
    valid_from: dt.date
    monthly_fee: Money
    definition: dict[str, Any]


class RatePlanOut(Out):
    code: str
    name: str
    versions: list[RatePlanVersionOut]


class RatePlanPage(Out):
    count: int
    page: int
    page_size: int
    items: list[RatePlanOut]


@router.get("/api/rate-plans", response=answers({200: RatePlanPage}, 403))
def list_rate_plans(request, query: Query[PageQuery]):
    """Staff: every plan; a manager: the plans of its customers (and its partner's customers)."""
    if not request.user.is_staff and not customers_for(request.user, READ_RATE_PLAN).exists():
        raise PermissionDenied("Unauthorized")
    plans = rate_plans_for(request.user).order_by("code").prefetch_related("versions")
    answer = paged(plans, page=query.page, page_size=query.page_size)
    answer["items"] = [_money_as_text(rate_plan_as_dict(plan)) for plan in answer["items"]]
    return answer


def _money_as_text(plan: dict) -> dict:
    for version in plan["versions"]:
        version["monthly_fee"] = f"{version['monthly_fee']:.4f}"
    return plan


class RatePlanVersionIn(Schema):
    valid_from: dt.date = Field(description="the first day of a month")
    definition: dict[str, Any] = Field(description="the rate plan document of SPEC part 1")


class RatePlanVersionCreated(Out):
    code: str
    valid_from: dt.date
    monthly_fee: Money


@router.post(
    "/api/rate-plans/{code}/versions",
    response=answers({201: RatePlanVersionCreated}, 403, 404, 409),
)
def add_rate_plan_version(request, code: str, payload: RatePlanVersionIn):
    """Staff: a new version from its month on. Stored totals stay until a month is
    recalculated."""
    plan = rate_plan_for_user(user=request.user, code=code, right=VIEW)
    require_staff(request.user)
    try:
        version = rate_plan_version_add(
            rate_plan=plan, valid_from=payload.valid_from, definition=payload.definition
        )
    except CustomerInputError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(
        201,
        {
            "code": plan.code,
            "valid_from": version.valid_from,
            "monthly_fee": f"{version.monthly_fee:.4f}",
        },
    )


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
