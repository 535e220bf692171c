"""Devices (SPEC part 2 "Master data"): the inventory, one device, add, edit, the bulk import."""

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, File, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from telcost.accounts.access import (
    MASTER_DATA,
    VIEW,
    customer_for_user,
    device_fields_editable,
    require_staff,
)
from telcost.core.api_schemas import CreatedId, Month, Out, answers
from telcost.core.cycles import BadCycle, requested_month
from telcost.customers.device_imports import DeviceImportRefused
from telcost.customers.services import CustomerInputError, device_create, device_update
from telcost.devices.selectors import (
    SORT_KEYS,
    InventoryQuery,
    InventoryQueryError,
    device_detail,
    device_for_user,
    device_inventory,
)
from telcost.devices.services import device_import_dispatch
from telcost.idempotency.decorators import idempotent

router = Router(tags=["devices"])

Sort = Literal[tuple([*SORT_KEYS, *(f"-{k}" for k in SORT_KEYS)])]
_DIGITS = r"^[0-9]*$"


class DeviceListQuery(Schema):
    q: str = Field(default="", max_length=200)
    cost_center: str = Field(default="", max_length=64)
    status: Literal["active", "inactive"] | None = None
    month: Month | None = None
    sort: Sort = "msisdn"
    page: int = Field(default=1, ge=1, le=2**31)
    page_size: int = Field(default=50, ge=1, le=500)


class CostCenterRef(Out):
    code: str
    name: str


class DeviceOut(Out):
    id: int
    msisdn: str
    iccid: str
    label: str
    user_name: str
    cost_center: CostCenterRef | None
    activated_on: dt.date
    deactivated_on: dt.date | None
    active: bool
    cost: str | None = Field(default=None, description="the month's cost, 4 decimals (?month=)")


class DevicePage(Out):
    count: int
    page: int
    page_size: int
    items: list[DeviceOut]


class CostCenterPeriodOut(Out):
    # code and name null: unassigned from valid_from on.
    code: str | None
    name: str | None
    valid_from: dt.date
    valid_until: dt.date | None


class AddonOut(Out):
    id: int
    addon_type: str
    label: str
    status: str
    data_mb: int
    activated_at: dt.datetime | None


class DeviceDetailOut(DeviceOut):
    customer_id: int
    cost_centers: list[CostCenterPeriodOut]
    addons: list[AddonOut]


class DeviceIn(Schema):
    msisdn: str = Field(pattern=r"^[0-9]{6,20}$")
    iccid: str = Field(default="", pattern=_DIGITS, max_length=22)
    label: str = Field(default="", max_length=200)
    user_name: str = Field(default="", max_length=200)
    activated_on: dt.date


class DevicePatch(Schema):
    label: str | None = Field(default=None, max_length=200)
    user_name: str | None = Field(default=None, max_length=200)
    iccid: str | None = Field(default=None, pattern=_DIGITS, max_length=22)
    activated_on: dt.date | None = None
    deactivated_on: dt.date | None = None


class ImportAccepted(Out):
    job_id: int
    status_url: str


def _input_error(exc: CustomerInputError) -> HttpError:
    return HttpError(exc.status, str(exc))


@router.get("/api/customers/{customer_id}/devices", response=answers({200: DevicePage}, 404))
def list_devices(request, customer_id: int, query: Query[DeviceListQuery]):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    try:
        month = requested_month(query.month, month_only=True) if query.month else None
        return device_inventory(
            customer=customer,
            query=InventoryQuery(
                q=query.q.strip(),
                cost_center=query.cost_center.strip(),
                status=query.status or "",
                sort=query.sort,
                month=month,
            ),
            today=timezone.localdate(),
            page=query.page,
            page_size=query.page_size,
        )
    except BadCycle as exc:
        raise HttpError(400, f"month: {exc}") from None
    except InventoryQueryError as exc:
        raise HttpError(400, str(exc)) from None


@router.post(
    "/api/customers/{customer_id}/devices", response=answers({201: CreatedId}, 403, 404, 409)
)
@idempotent
def create_device(request, customer_id: int, payload: DeviceIn):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    require_staff(request.user)
    try:
        device = device_create(customer=customer, **payload.dict())
    except CustomerInputError as exc:
        raise _input_error(exc) from None
    return Status(201, {"id": device.pk})


@router.get("/api/devices/{device_id}", response=answers({200: DeviceDetailOut}, 404))
def get_device(request, device_id: int):
    device = device_for_user(user=request.user, device_id=device_id, right=VIEW)
    return device_detail(device, timezone.localdate())


@router.patch("/api/devices/{device_id}", response=answers({200: DeviceDetailOut}, 403, 404))
def patch_device(request, device_id: int, payload: DevicePatch):
    device = device_for_user(user=request.user, device_id=device_id, right=MASTER_DATA)
    fields = payload.dict(exclude_unset=True)
    refused = sorted(set(fields) - device_fields_editable(request.user, device.customer))
    if refused:
        raise PermissionDenied(f"Unauthorized: only staff change {', '.join(refused)}")
    try:
        device = device_update(device=device, fields=fields)
    except CustomerInputError as exc:
        raise _input_error(exc) from None
    return device_detail(device, timezone.localdate())


@router.post(
    "/api/customers/{customer_id}/device-imports",
    response=answers({202: ImportAccepted}, 403, 404, 413),
)
@idempotent
def import_devices(request, customer_id: int, file: File[UploadedFile]):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    require_staff(request.user)
    try:
        job = device_import_dispatch(customer=customer, upload=file, user=request.user).job
    except DeviceImportRefused as exc:
        raise HttpError(400, str(exc)) from None
    return Status(202, {"job_id": job.pk, "status_url": f"/api/jobs/{job.pk}"})
