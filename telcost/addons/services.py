"""Workflows 2 and 3: activate and cancel a customer's addons at Routit
(ActivateRoutitAddonsCommand,
CancelRoutitAddonsCommand): dispatch, and the handlers' work.

Once per request, at Nina too: identical requests (customer, addon, action) while one is
pending or running join it; the request's addon_log row is written with its job and its id
is the reference Nina applies once; a call whose outcome is unknown (a timeout) is settled by
reading Nina's addons before any new call.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telcost.addons.limits import (
    NinaWindowFull,
    nina_request_reserve,
    nina_request_slot_take,
    nina_request_slot_wait,
)
from telcost.addons.models import ADDON_CATALOGUE, AddonLog, AddonType, CustomerAddon
from telcost.customers.models import Customer
from telcost.integrations.nina.client import NinaAddonAnswer, NinaClient, NinaFailure
from telcost.jobs.errors import PermanentError, TransientError
from telcost.jobs.kinds import Dispatched, JobKind, job_params, register
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch

COMMANDS = {"activate": "ActivateRoutitAddonsCommand", "cancel": "CancelRoutitAddonsCommand"}
# A request's log is open while "pending" (not settled) or "unknown" (a call of it timed out).
OPEN_OUTCOMES = ("pending", "unknown")
# How long an unknown outcome is asked about before it counts as never applied.
UNKNOWN_GIVE_UP = dt.timedelta(hours=1)


@dataclass(frozen=True)
class AddonChangeParams:
    """An addons_activate or addons_cancel job's request: which addon of which customer, by whom."""

    customer_id: int
    action: str  # "activate" or "cancel"
    addon_type: str
    user_id: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            customer_id=int(data["customer_id"]),
            action=data["action"],
            addon_type=data["addon_type"],
            user_id=data.get("user_id"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "action": self.action,
            "addon_type": self.addon_type,
            "user_id": self.user_id,
        }


# By action. The request's addon_log row follows its job's steps, so no reaction to the end.
KINDS = {
    "activate": register(
        JobKind(name="addons_activate", label=_("Activate addons"), params=AddonChangeParams)
    ),
    "cancel": register(
        JobKind(name="addons_cancel", label=_("Cancel addons"), params=AddonChangeParams)
    ),
}


def _params(job: Job) -> AddonChangeParams:
    [kind] = [kind for kind in KINDS.values() if kind.name == job.kind]
    return job_params(job, kind)


class AddonRequestError(Exception):
    def __init__(self, message: str, status: int, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def addon_change_dispatch(*, customer: Customer, user, action: str, addon_type: str) -> Dispatched:
    if action not in COMMANDS:
        raise AddonRequestError("addonsAction must be activate or cancel", 400)
    if addon_type not in AddonType.values:
        raise AddonRequestError(f"addon_type must be one of {', '.join(AddonType.values)}", 400)
    if (
        action == "cancel"
        and not CustomerAddon.objects.filter(
            customer=customer, addon_type=addon_type, status=CustomerAddon.Status.ACTIVE
        ).exists()
    ):
        # Nothing to cancel: answered at once, no API call, no slot of the window used.
        raise AddonRequestError(f"no active {addon_type} addon to cancel", 409)
    try:
        with transaction.atomic():
            dispatched = job_dispatch(
                kind=KINDS[action],
                customer=customer,
                created_by=user,
                params=AddonChangeParams(
                    customer_id=customer.pk,
                    action=action,
                    addon_type=addon_type,
                    user_id=getattr(user, "pk", None),
                ),
                steps=[StepSpec(COMMANDS[action])],
                dedupe_key=f"addons:{customer.pk}:{addon_type}:{action}",
            )
            job = dispatched.job
            if dispatched.joined:
                return dispatched  # a double click: the first request's job, no second call
            # Counted when accepted, not when called: the 11th request within 60 s is refused now.
            nina_request_reserve(customer_id=customer.pk, job=job)
            AddonLog.objects.create(
                customer=customer,
                user_id=getattr(user, "pk", None),
                action=action,
                addon_type=addon_type,
                outcome="pending",
                job=job,
            )
            return dispatched
    except NinaWindowFull as exc:
        raise AddonRequestError("Too many requests", 429, retry_after=exc.retry_after) from None


def _log_of(job: Job) -> AddonLog:
    # Jobs dispatched before requests had their log row get one now.
    params = _params(job)
    log, _created = AddonLog.objects.get_or_create(
        job=job,
        defaults={
            "customer_id": params.customer_id,
            "user_id": params.user_id,
            "action": params.action,
            "addon_type": params.addon_type,
            "outcome": "pending",
        },
    )
    return log


def _settle(log: AddonLog, outcome: str, error: str = "") -> None:
    AddonLog.objects.filter(pk=log.pk, outcome__in=OPEN_OUTCOMES).update(
        outcome=outcome, error=error
    )


def _result(job: Job, status: str) -> dict:
    addon = CustomerAddon.objects.filter(job=job).first()
    return {
        "addon_id": addon.pk if addon else None,
        "status": status,
        "provider_reference": addon.provider_reference if addon else "",
    }


def _call_failed(exc: NinaFailure, *, log: AddonLog, attempt: int, max_attempts: int) -> None:
    """Raise what the step makes of a failed call: retry later, or fail with the seed's message.

    A call that may have been applied (it timed out) leaves the log "unknown": the next attempt
    asks Nina first, and if none can, the log stays open and addon_outcomes_settle records
    what Nina holds later.
    """
    if exc.unknown_outcome:
        AddonLog.objects.filter(pk=log.pk, outcome__in=OPEN_OUTCOMES).update(
            outcome="unknown", error=str(exc)
        )
    if exc.transient and attempt < max_attempts:
        raise TransientError(str(exc)) from None
    if AddonLog.objects.filter(pk=log.pk, outcome="unknown").exists():
        raise PermanentError(f"{exc} (whether Nina applied it is checked again)") from None
    if exc.rate_limited:
        _settle(log, "rate_limited", str(exc))
        raise PermanentError("Too many requests") from None
    _settle(log, "api_failure", str(exc))
    raise PermanentError(str(exc)) from None


def _nina_ref(customer: Customer) -> str:
    return customer.external_ref or str(customer.pk)


def _cancel_target(customer: Customer, addon_type: str) -> CustomerAddon | None:
    return (
        CustomerAddon.objects.filter(
            customer=customer, addon_type=addon_type, status=CustomerAddon.Status.ACTIVE
        )
        .order_by("-activated_at", "-pk")
        .first()
    )


def addon_change_run(*, job: Job, attempt: int, max_attempts: int) -> dict:
    """The handler's work: window, Nina call, customer_addon, addon_log. Safe to run again."""
    params = _params(job)
    customer = Customer.objects.get(pk=params.customer_id)
    action, addon_type = params.action, params.addon_type
    log = _log_of(job)
    if log.outcome == "success":
        return _result(
            job, "active" if action == "activate" else "cancelled"
        )  # a re-run after the work was saved
    target = None
    if action == "cancel":
        target = _cancel_target(customer, addon_type)
        if target is None:
            _settle(log, "api_failure", "no active addon to cancel")
            raise PermanentError(f"no active {addon_type} addon to cancel")
    client, reference = NinaClient(), str(log.pk)
    if attempt > 1:
        # An earlier attempt may have been applied although its answer never came: Nina's view
        # decides before any new call, and is what telcost records.
        try:
            applied = _applied_at_nina(client, customer=customer, reference=reference)
        except NinaFailure as exc:
            _call_failed(exc, log=log, attempt=attempt, max_attempts=max_attempts)
            raise
        if applied is not None:
            return _record(job, log, applied, customer=customer, target=target)
    nina_request_slot_wait(customer_id=customer.pk, job=job)
    try:
        answer = client.change_addon(
            customer_ref=_nina_ref(customer), addon=addon_type, action=action, reference=reference
        )
    except NinaFailure as exc:
        if exc.unknown_outcome and attempt >= max_attempts:
            # The last attempt: settle what Nina holds now rather than leave it unknown.
            try:
                applied = _applied_at_nina(client, customer=customer, reference=reference)
            except NinaFailure:
                applied = None
            if applied is not None:
                return _record(job, log, applied, customer=customer, target=target)
        _call_failed(exc, log=log, attempt=attempt, max_attempts=max_attempts)
        raise
    return _record(job, log, answer, customer=customer, target=target)


def _applied_at_nina(
    client: NinaClient, *, customer: Customer, reference: str
) -> NinaAddonAnswer | None:
    """Nina's entry for the reference as an answer, or None when Nina never applied it."""
    nina_request_slot_wait(customer_id=customer.pk)
    held = client.list_addons(customer_ref=_nina_ref(customer))
    entry = next((a for a in held if a.reference == reference), None)
    return NinaAddonAnswer(reference=reference, status=entry.status) if entry is not None else None


def _record(
    job: Job,
    log: AddonLog,
    answer: NinaAddonAnswer,
    *,
    customer: Customer,
    target: CustomerAddon | None,
) -> dict:
    """What Nina did, recorded in customer_addon and addon_log together, once: the log's outcome
    changes only from an open one, so two workers settling one request record it once."""
    params = _params(job)
    action, addon_type = params.action, params.addon_type
    now = timezone.now()
    note = f"the answer could not be read: {answer.unreadable}" if answer.unreadable else ""
    status = "active" if action == "activate" else "cancelled"
    with transaction.atomic():
        if not AddonLog.objects.filter(pk=log.pk, outcome__in=OPEN_OUTCOMES).update(
            outcome="success", error=note
        ):
            return _result(job, status)
        if action == "activate":
            addon = CustomerAddon.objects.create(
                customer=customer,
                addon_type=addon_type,
                status=CustomerAddon.Status.ACTIVE,
                activated_at=now,
                data_mb=ADDON_CATALOGUE[addon_type]["data_mb"],
                provider_reference=answer.id or answer.reference,
                job=job,
            )
        else:
            addon = target or _cancel_target(customer, addon_type)
            if addon is not None:
                CustomerAddon.objects.filter(pk=addon.pk).update(
                    status=CustomerAddon.Status.CANCELLED, cancelled_at=now
                )
    return {
        "addon_id": addon.pk if addon else None,
        "status": status,
        "provider_reference": answer.id or answer.reference,
    }


def addon_outcomes_settle(
    *, older_than_s: float = 0.0, give_up_after: dt.timedelta = UNKNOWN_GIVE_UP
) -> int:
    """Record what Nina holds for requests whose outcome stayed unknown (their last call timed out).

    Nina applies a reference once, so what it lists is the truth: a listed reference is recorded
    as done; one still not listed after give_up_after is recorded as not applied. Run by a worker
    timer; safe in several workers at once (_record settles a log once). The number settled.
    """
    now = timezone.now()
    settled = 0
    unknown = AddonLog.objects.filter(
        outcome="unknown", created_at__lte=now - dt.timedelta(seconds=older_than_s)
    ).exclude(job__status__in=Job.ACTIVE)  # a job still running asks Nina itself
    for log in unknown.select_related("job", "customer")[:100]:
        if log.job is None or nina_request_slot_take(customer_id=log.customer_id):
            continue  # no job to record under, or the window is full: next round
        try:
            held = NinaClient().list_addons(customer_ref=_nina_ref(log.customer))
        except NinaFailure:
            continue
        entry = next((a for a in held if a.reference == str(log.pk)), None)
        if entry is not None:
            _record(
                log.job,
                log,
                NinaAddonAnswer(reference=str(log.pk), status=entry.status),
                customer=log.customer,
                target=None,
            )
            settled += 1
        elif log.created_at <= now - give_up_after:
            AddonLog.objects.filter(pk=log.pk, outcome="unknown").update(
                outcome="api_failure", error=f"{log.error}; Nina never applied it"
            )
            settled += 1
    return settled
