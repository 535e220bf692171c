"""Writes of the audit log, in one place for the admin, the API, the pages and the workers.

Every audited model is in AUDITED. Its saves and deletes are caught by Django's signals
(pre_save reads the row as it was, post_save and post_delete write the entry), so no
caller has to remember the log. Bulk writes (bulk_create, QuerySet.update) send no
signals: code that writes audited rows that way calls `audit_record` itself.
The models are named by label, not imported: the apps that own them sit above and below
this one, and a master-data app needs no import to be audited.
"""

import contextvars
import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_save

from telcost.audit.models import AuditEntry

MASK = "***"
SYSTEM = "system"

_request: contextvars.ContextVar = contextvars.ContextVar("telcost_audit_request", default=None)


@dataclass(frozen=True)
class Audited:
    """How one model appears in the log."""

    label: str  # "app_label.ModelName"
    object_type: str
    name: Callable[[object], str]
    customer_id: Callable[[object], int | None]
    masked: frozenset[str] = field(default_factory=frozenset)  # shown as "***" when they change
    ignored: frozenset[str] = field(
        default_factory=frozenset
    )  # bookkeeping, not a change by anyone


def _assignment_name(a) -> str:
    # No cost center: the device is unassigned from valid_from on.
    code = a.cost_center.code if a.cost_center_id else "—"
    return f"{a.device.msisdn} → {code} ({a.valid_from:%d-%m-%Y})"


AUDITED = [
    Audited(
        "customers.Customer",
        "customer",
        lambda c: c.name,
        lambda c: c.pk,
        ignored=frozenset(
            {
                "calculate_totals",
                "totals_calculated_at",
                "totals_calculated_by",
                "totals_version",
                "totals_outcome",
                "created_at",
            }
        ),
    ),
    Audited("customers.Device", "device", lambda d: d.msisdn, lambda d: d.customer_id),
    Audited(
        "customers.CostCenter",
        "cost_center",
        lambda c: f"{c.code} {c.name}",
        lambda c: c.customer_id,
    ),
    Audited(
        "customers.CostCenterAssignment",
        "cost_center_assignment",
        _assignment_name,
        lambda a: a.device.customer_id,
    ),
    Audited(
        "customers.RatePlan",
        "rate_plan",
        lambda p: p.code,
        lambda p: None,
        ignored=frozenset({"created_at"}),
    ),
    Audited(
        "customers.RatePlanVersion",
        "rate_plan_version",
        lambda v: f"{v.rate_plan.code} {v.valid_from:%Y-%m}",
        lambda v: None,
        ignored=frozenset({"created_at"}),
    ),
    Audited(
        "syncs.SyncProfile",
        "sync_profile",
        lambda p: p.name,
        lambda p: p.customer_id,
        masked=frozenset({"credentials_encrypted"}),
        # deleted_at: a deleted profile's entry is "deleted" (audit_soft_deleted), not a change.
        ignored=frozenset({"last_scheduled_run_at", "created_at", "deleted_at"}),
    ),
    Audited(
        "alerts.AlertRule",
        "alert_rule",
        lambda r: r.name,
        lambda r: r.customer_id,
        # deleted_at: a deleted rule's entry is "deleted" (audit_soft_deleted), not a change.
        ignored=frozenset({"created_at", "updated_at", "deleted_at"}),
    ),
    Audited(
        settings.AUTH_USER_MODEL,
        "user",
        lambda u: u.get_username(),
        lambda u: None,
        masked=frozenset({"password"}),
        ignored=frozenset({"last_login", "date_joined"}),
    ),
    Audited(
        "accounts.Membership",
        "membership",
        lambda m: f"{m.user.get_username()}: {m.role}",
        lambda m: m.customer_id,
    ),
]
OBJECT_TYPES = [a.object_type for a in AUDITED] + ["job"]


@contextmanager
def audit_request(request):
    """While serving `request`, entries name its user as the actor."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


@contextmanager
def audit_as(user):
    """Outside a request (a worker's step), entries name `user` as the actor: whoever dispatched
    the job whose writes these are."""
    with audit_request(_ActingUser(user)):
        yield


@dataclass(frozen=True)
class _ActingUser:
    user: object


def _actor(user=None) -> tuple[int | None, str]:
    if user is None:
        request = _request.get()
        user = getattr(request, "user", None) if request is not None else None
    if user is not None and getattr(user, "is_authenticated", False) and user.pk:
        return user.pk, user.get_username()
    return None, SYSTEM


def _plain(value):
    """A field value as JSON: decimals and dates as text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _values(audited: Audited, instance) -> dict:
    out = {}
    for f in instance._meta.concrete_fields:
        if f.primary_key or f.name in audited.ignored:
            continue
        out[f.name] = _plain(f.value_from_object(instance))
    return out


def _changes(audited: Audited, before: dict | None, after: dict | None) -> dict:
    before, after = before or {}, after or {}
    changes = {}
    for name in sorted(after.keys() | before.keys()):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = [_masked(old), _masked(new)] if name in audited.masked else [old, new]
    return changes


def _masked(value):
    """A credential or password shows only whether it is set."""
    return None if value is None else (MASK if value else "")


def _new_entry(
    actor: tuple[int | None, str], *, action, object_type, object_id, name, customer_id, changes
) -> AuditEntry:
    actor_id, actor_name = actor
    return AuditEntry(
        actor_id=actor_id,
        actor=actor_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_name=str(name)[:255],
        customer_id=customer_id,
        changes=changes or {},
    )


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: int,
    object_name: str = "",
    customer_id: int | None = None,
    changes: dict | None = None,
    user=None,
) -> AuditEntry:
    """Write one entry; the actor is `user`, else the user of the request being served, else
    "system"."""
    entry = _new_entry(
        _actor(user),
        action=action,
        object_type=object_type,
        object_id=object_id,
        name=object_name,
        customer_id=customer_id,
        changes=changes,
    )
    entry.save()
    return entry


def audit_record_many(
    *, action: str, object_type: str, rows: list[tuple[int, str, int | None, dict]], user=None
) -> None:
    """One entry per (object id, name, customer id, changes), in one insert: for bulk writes, which
    send no signals."""
    actor = _actor(user)
    AuditEntry.objects.bulk_create(
        [
            _new_entry(
                actor,
                action=action,
                object_type=object_type,
                object_id=object_id,
                name=name,
                customer_id=customer_id,
                changes=changes,
            )
            for object_id, name, customer_id, changes in rows
        ]
    )


def _entry(audited: Audited, instance, action: str, changes: dict) -> None:
    audit_record(
        action=action,
        object_type=audited.object_type,
        object_id=instance.pk,
        object_name=audited.name(instance),
        customer_id=audited.customer_id(instance),
        changes=changes,
    )


def _receivers(audited: Audited):
    def before_save(sender, instance, raw=False, **kwargs):
        instance._audit_before = None
        if raw or instance._state.adding or instance.pk is None:
            return
        old = sender._base_manager.filter(pk=instance.pk).first()
        instance._audit_before = _values(audited, old) if old is not None else None

    def after_save(sender, instance, created, raw=False, **kwargs):
        if raw:
            return  # fixtures loading
        before = getattr(instance, "_audit_before", None)
        if created or before is None:
            _entry(
                audited,
                instance,
                AuditEntry.Action.CREATED,
                _changes(audited, None, _values(audited, instance)),
            )
            return
        changes = _changes(audited, before, _values(audited, instance))
        if changes:
            _entry(audited, instance, AuditEntry.Action.CHANGED, changes)
        instance._audit_before = _values(audited, instance)  # a second save compares with this one

    def after_delete(sender, instance, **kwargs):
        _entry(
            audited,
            instance,
            AuditEntry.Action.DELETED,
            _changes(audited, _values(audited, instance), None),
        )

    return before_save, after_save, after_delete


def audit_soft_deleted(instance) -> AuditEntry:
    """The entry a delete writes, for an object kept as a row but deleted for everyone (a sync
    profile keeps its tasks' history): the caller marks it with an UPDATE, which sends no signal.
    """
    audited = next(a for a in AUDITED if apps.get_model(a.label) is type(instance))
    return audit_record(
        action=AuditEntry.Action.DELETED,
        object_type=audited.object_type,
        object_id=instance.pk,
        object_name=audited.name(instance),
        customer_id=audited.customer_id(instance),
        changes=_changes(audited, _values(audited, instance), None),
    )


def _job_dispatched(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        audit_job_dispatched(instance)


def audit_job_dispatched(job) -> AuditEntry:
    """A dispatched job: its kind and id, by whoever dispatched it."""
    return audit_record(
        action=AuditEntry.Action.DISPATCHED,
        object_type="job",
        object_id=job.pk,
        object_name=job.kind,
        customer_id=job.customer_id,
        changes={"kind": [None, job.kind]},
        user=job.created_by if job.created_by_id else None,
    )


_connected: list = []  # the receivers: signals hold them weakly


def audit_receivers_connect() -> None:
    if _connected:
        return
    for audited in AUDITED:
        model = apps.get_model(audited.label)
        before_save, after_save, after_delete = _receivers(audited)
        uid = f"telcost-audit-{audited.object_type}"
        pre_save.connect(before_save, sender=model, dispatch_uid=uid)
        post_save.connect(after_save, sender=model, dispatch_uid=uid)
        post_delete.connect(after_delete, sender=model, dispatch_uid=uid)
        _connected.extend([before_save, after_save, after_delete])
    post_save.connect(
        _job_dispatched, sender=apps.get_model("jobs.Job"), dispatch_uid="telcost-audit-job"
    )
