"""Rate plans, customers and cost centers: GET/POST /api/rate-plans, GET /api/rate-plans/{code},
POST /api/rate-plans/{code}/versions, POST/GET/PATCH /api/customers, the cost centers of a
customer and their dated assignments (SPEC part 2 "Master data")."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from ninja import Body, Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.access import (
    MASTER_DATA,
    READ_RATE_PLAN,
    VIEW,
    customer_for_user,
    customers_for,
    rate_plan_for_user,
    rate_plans_for,
    require_right,
    require_staff,
)
from telcost.core.api_schemas import CreatedId, Money, Out, answers
from telcost.core.paging import PageQuery, paged
from telcost.customers.models import CostCenter, Customer
from telcost.customers.selectors import (
    cost_centers_of,
    customer_as_dict,
    rate_plan_as_dict,
    rate_plan_current_version,
)
from telcost.customers.services import (
    MAX_ASSIGNED_DEVICES,
    CustomerInputError,
    cost_center_create,
    cost_center_delete,
    cost_center_rename,
    cost_centers_assign,
    customer_create,
    customer_update,
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


class CustomerListItem(Out):
    id: int
    name: str
    kind: Literal[tuple(Customer.Kind.values)]
    partner_id: int | None
    rate_plan: str | None
    is_partner: bool
    external_ref: str


class CustomerPage(Out):
    count: int
    page: int
    page_size: int
    items: list[CustomerListItem]


def _list_item(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "name": customer.name,
        "kind": customer.kind,
        "partner_id": customer.partner_id,
        "rate_plan": customer.rate_plan.code if customer.rate_plan_id else None,
        "is_partner": customer.has_children,
        "external_ref": customer.external_ref,
    }


@router.get("/api/customers", response=answers({200: CustomerPage}))
def list_customers(request, query: Query[PageQuery]):
    customers = (
        customers_for(request.user)
        .select_related("rate_plan")
        .annotate(has_children=Exists(Customer.objects.filter(partner=OuterRef("pk"))))
        .order_by("name", "pk")
    )
    page = paged(customers, page=query.page, page_size=query.page_size)
    return {**page, "items": [_list_item(c) for c in page["items"]]}


class CustomerPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Literal["standard", "rateplan"] | None = None
    rate_plan: str | None = Field(default=None, max_length=64)
    partner_id: int | None = Field(default=None, ge=1, le=2**62)


@router.patch("/api/customers/{customer_id}", response=answers({200: CustomerOut}, 403, 404))
def update_customer(request, customer_id: int, payload: CustomerPatch):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    require_staff(request.user)
    given = payload.dict(exclude_unset=True)
    for name in ("name", "kind"):
        if name in given and given[name] is None:
            raise HttpError(400, f"{name}: may not be null")
    try:
        customer = customer_update(customer=customer, **given)
    except CustomerInputError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return customer_as_dict(customer)


@router.get("/api/customers/{customer_id}", response=answers({200: CustomerOut}, 404))
def get_customer(request, customer_id: int):
    customers = Customer.objects.select_related("rate_plan", "totals_calculated_by")
    return customer_as_dict(
        customer_for_user(user=request.user, customer_id=customer_id, queryset=customers)
    )


# Cost centers and their dated assignments.


class CostCenterOut(Out):
    id: int
    code: str
    name: str
    devices_now: int
    assignments: int = Field(description="assignments naming it; it can be deleted at 0")


class CostCenterIn(Schema):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


class CostCenterPatch(Schema):
    name: str = Field(min_length=1, max_length=200)


class AssignmentIn(Schema):
    msisdns: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(
        min_length=1, max_length=MAX_ASSIGNED_DEVICES
    )
    cost_center_code: str | None = Field(max_length=64)
    valid_from: dt.date


class Assigned(Out):
    assigned: int


def _cost_center_for_user(user, cost_center_id: int, right: str) -> CostCenter:
    """The cost center under the customer's policy: 404 unless its customer is visible."""
    center = CostCenter.objects.select_related("customer").filter(pk=cost_center_id).first()
    require_right(
        user=user,
        customer=center.customer if center else None,
        right=right,
        not_found="Cost center not found",
    )
    return center


@router.get(
    "/api/customers/{customer_id}/cost-centers", response=answers({200: list[CostCenterOut]}, 404)
)
def list_cost_centers(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    return [row._asdict() for row in cost_centers_of(customer)]


@router.post(
    "/api/customers/{customer_id}/cost-centers",
    response=answers({201: CreatedId}, 403, 404, 409),
)
def create_cost_center(request, customer_id: int, payload: CostCenterIn):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MASTER_DATA)
    try:
        center = cost_center_create(customer=customer, code=payload.code, name=payload.name)
    except CustomerInputError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(201, {"id": center.pk})


@router.patch(
    "/api/cost-centers/{cost_center_id}", response=answers({200: CostCenterOut}, 403, 404)
)
def rename_cost_center(request, cost_center_id: int, payload: CostCenterPatch):
    center = _cost_center_for_user(request.user, cost_center_id, MASTER_DATA)
    try:
        center = cost_center_rename(cost_center=center, name=payload.name)
    except CustomerInputError as exc:
        raise HttpError(exc.status, str(exc)) from None
    row = next(r for r in cost_centers_of(center.customer) if r.id == center.pk)
    return row._asdict()


@router.delete("/api/cost-centers/{cost_center_id}", response=answers({204: None}, 403, 404, 409))
def delete_cost_center(request, cost_center_id: int):
    center = _cost_center_for_user(request.user, cost_center_id, MASTER_DATA)
    try:
        cost_center_delete(cost_center=center)
    except CustomerInputError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(204, None)


@router.post(
    "/api/customers/{customer_id}/cost-center-assignments",
    response=answers({201: Assigned}, 403, 404),
)
def assign_cost_center(request, customer_id: int, payload: AssignmentIn):
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=MASTER_DATA)
    try:
        assigned = cost_centers_assign(
            customer=customer,
            msisdns=payload.msisdns,
            cost_center_code=payload.cost_center_code,
            valid_from=payload.valid_from,
        )
    except CustomerInputError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(201, {"assigned": assigned})
