"""Sync profiles and manual syncs: POST /api/sync-profiles, GET /api/customers/{id}/sync-profiles,
GET, PATCH and DELETE /api/sync-profiles/{id}, POST /api/sync-profiles/{id}/test,
POST /sync-profile/manual-sync, GET /api/sync-task/{id}/status."""

import datetime as dt
from typing import Any, Literal

from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.access import SYNC, customer_for_user, require_right, require_staff
from telcost.core.api_schemas import CreatedId, CycleDate, Money, Month, Out, answers
from telcost.core.cycles import BadCycle, recent_cycles, requested_month
from telcost.core.paging import PageQuery, paged
from telcost.customers.models import Customer
from telcost.idempotency.decorators import idempotent
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.profiles import (
    SyncInputError,
    sync_profile_create,
    sync_profile_delete,
    sync_profile_test,
    sync_profile_update,
)
from telcost.syncs.selectors import (
    partner_overview,
    sync_profile_as_dict,
    sync_profile_for_user,
    sync_profiles_of,
    sync_task_status,
)
from telcost.syncs.services import sync_manual_dispatch

router = Router(tags=["syncs"])


class SyncProfileIn(Schema):
    customer_id: int
    name: str = ""
    provider: Literal[tuple(SyncProfile.Provider.values)]
    settings: dict = {}
    credentials: dict = {}
    schedule: str | None = ""
    active: bool = True


class SyncProfilePatch(Schema):
    """What is given changes; settings are replaced whole; credentials left out are kept;
    schedule null (or "") clears it."""

    name: str | None = None
    settings: dict | None = None
    credentials: dict | None = None
    schedule: str | None = None
    active: bool | None = None


class ManualSyncIn(Schema):
    sync_profile_id: int
    date: CycleDate


class SyncTaskSummary(Out):
    id: int
    cycle_start: dt.date
    status: Literal[tuple(SyncTask.Status.values)]
    manual_trigger: bool
    by: str | None  # who started it; None: the schedule
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error: str


class SyncProfileOut(Out):
    id: int
    name: str
    provider: Literal[tuple(SyncProfile.Provider.values)]
    settings: dict[str, Any]
    schedule: str
    active: bool
    has_credentials: bool
    last_task: SyncTaskSummary | None
    next_run: dt.datetime | None


class SyncProfilePage(Out):
    count: int
    page: int
    page_size: int
    items: list[SyncProfileOut]


class ConnectionTestOut(Out):
    ok: bool
    message: str


class SyncCounts(Out):
    fetched: int
    imported: int
    duplicates: int
    rejected: int


class SyncTaskOut(Out):
    id: int
    status: Literal[tuple(SyncTask.Status.values)]
    error: str
    cycle_start: dt.date
    manual_trigger: bool
    counts: SyncCounts
    errors: list[Any]
    job_id: int | None


class SyncProfileDetail(SyncProfileOut):
    customer_id: int
    last_scheduled_run_at: dt.datetime | None
    tasks: list[SyncTaskOut]


class ManualSyncAccepted(Out):
    status: Literal["dispatched"]
    task_id: int
    job_id: int | None


@router.post("/api/sync-profiles", response=answers({201: CreatedId}, 403))
def create_sync_profile(request, payload: SyncProfileIn):
    require_staff(request.user)
    customer = Customer.objects.filter(pk=payload.customer_id).first()
    if customer is None:
        raise HttpError(400, f"customer_id: unknown customer {payload.customer_id}")
    try:
        profile = sync_profile_create(
            customer=customer,
            name=payload.name,
            provider=payload.provider,
            settings=payload.settings,
            credentials=payload.credentials,
            schedule=payload.schedule,
            active=payload.active,
        )
    except SyncInputError as exc:
        raise HttpError(400, str(exc)) from None
    return Status(201, {"id": profile.pk})


@router.get(
    "/api/customers/{customer_id}/sync-profiles", response=answers({200: SyncProfilePage}, 404)
)
def list_sync_profiles(request, customer_id: int, query: Query[PageQuery]):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    return paged(
        [sync_profile_as_dict(p) for p in sync_profiles_of(customer)],
        page=query.page,
        page_size=query.page_size,
    )


@router.get("/api/sync-profiles/{profile_id}", response=answers({200: SyncProfileDetail}, 404))
def get_sync_profile(request, profile_id: int):
    profile = sync_profile_for_user(user=request.user, profile_id=profile_id)
    tasks = profile.tasks.select_related("job")[:10]
    return {
        **sync_profile_as_dict(profile),
        "customer_id": profile.customer_id,
        "last_scheduled_run_at": profile.last_scheduled_run_at,
        "tasks": [sync_task_status(task) for task in tasks],
    }


@router.patch("/api/sync-profiles/{profile_id}", response=answers({200: SyncProfileOut}, 403, 404))
def update_sync_profile(request, profile_id: int, payload: SyncProfilePatch):
    profile = sync_profile_for_user(user=request.user, profile_id=profile_id, staff=True)
    given = payload.model_dump(exclude_unset=True)
    for field in ("name", "settings", "credentials", "active"):
        if field in given and given[field] is None:
            raise HttpError(400, f"{field}: may not be null")
    try:
        profile = sync_profile_update(profile=profile, **given)
    except SyncInputError as exc:
        raise HttpError(400, str(exc)) from None
    return sync_profile_as_dict(profile)


@router.delete("/api/sync-profiles/{profile_id}", response=answers({204: None}, 403, 404))
def delete_sync_profile(request, profile_id: int):
    profile = sync_profile_for_user(user=request.user, profile_id=profile_id, staff=True)
    sync_profile_delete(profile=profile)
    return Status(204, None)


@router.post(
    "/api/sync-profiles/{profile_id}/test", response=answers({200: ConnectionTestOut}, 403, 404)
)
def connection_test(request, profile_id: int):
    """One bounded call to the provider, answered within 10 s."""
    profile = sync_profile_for_user(user=request.user, profile_id=profile_id, staff=True)
    result = sync_profile_test(profile=profile)
    return {"ok": result.ok, "message": result.message}


@router.post("/sync-profile/manual-sync", response=answers({202: ManualSyncAccepted}, 403, 404))
@idempotent
def manual_sync(request, payload: ManualSyncIn):
    profile = (
        SyncProfile.objects.select_related("customer").filter(pk=payload.sync_profile_id).first()
    )
    require_right(
        user=request.user,
        customer=profile and profile.customer,
        right=SYNC,
        not_found="Sync profile not found",
    )
    try:
        cycle_start = requested_month(payload.date)
        task = sync_manual_dispatch(profile=profile, cycle_start=cycle_start, user=request.user)
    except (BadCycle, SyncInputError) as exc:
        raise HttpError(400, str(exc)) from None
    return Status(202, {"status": "dispatched", "task_id": task.pk, "job_id": task.job_id})


@router.get("/api/sync-task/{task_id}/status", response=answers({200: SyncTaskOut}, 403, 404))
def sync_task_status_endpoint(request, task_id: int):
    task = SyncTask.objects.select_related("profile__customer", "job").filter(pk=task_id).first()
    require_right(
        user=request.user,
        customer=task and task.profile.customer,
        right=SYNC,
        not_found="Sync task not found",
    )
    return sync_task_status(task)


class PartnerCustomerOut(Out):
    customer_id: int
    name: str
    total_cost: Money | None
    previous_total_cost: Money | None
    alerts: int
    last_sync_at: dt.datetime | None
    calculated: bool


@router.get(
    "/api/partners/{partner_id}/overview",
    response=answers({200: list[PartnerCustomerOut]}, 404),
    operation_id="telcost_syncs_api_partner_overview",
)
def partner_overview_get(request, partner_id: int, month: Month | None = None):
    """SPEC part 2: the partner's customers this month (or ?month=) against the month before.
    VIEW on the partner; a customer that is no partner has no overview (404)."""
    partner = customer_for_user(user=request.user, customer_id=partner_id)
    if not partner.is_partner:
        raise HttpError(404, "Not a partner")
    try:
        cycle_start = requested_month(month, month_only=True) if month else recent_cycles(1)[0]
    except BadCycle as exc:
        raise HttpError(400, str(exc)) from None
    return partner_overview(user=request.user, partner=partner, month=cycle_start)
