"""Workflows 2 and 3: activate and cancel a customer's addons at Routit (ActivateRoutitAddonsCommand,
CancelRoutitAddonsCommand): dispatch, and the handlers' work."""

from django.db import transaction
from django.utils import timezone

from telcost.addons.limits import nina_request_slot_take, nina_window_open
from telcost.addons.models import ADDON_CATALOGUE, AddonLog, AddonType, CustomerAddon
from telcost.customers.models import Customer
from telcost.integrations.nina.client import NinaClient, NinaFailure
from telcost.jobs.errors import PermanentError, TransientError
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch

COMMANDS = {"activate": "ActivateRoutitAddonsCommand", "cancel": "CancelRoutitAddonsCommand"}


class AddonRequestError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def addon_change_dispatch(*, customer: Customer, user, action: str, addon_type: str) -> Job:
    if action not in COMMANDS:
        raise AddonRequestError("addonsAction must be activate or cancel", 400)
    if addon_type not in AddonType.values:
        raise AddonRequestError(f"addon_type must be one of {', '.join(AddonType.values)}", 400)
    if action == "cancel" and not CustomerAddon.objects.filter(
        customer=customer, addon_type=addon_type, status=CustomerAddon.Status.ACTIVE
    ).exists():
        # Nothing to cancel: answered at once, no API call, no slot of the window used.
        raise AddonRequestError(f"no active {addon_type} addon to cancel", 409)
    if not nina_window_open(customer_id=customer.pk):
        raise AddonRequestError("Too many requests", 429)
    with transaction.atomic():
        return job_dispatch(
            kind=f"addons_{action}",
            customer=customer,
            created_by=user,
            params={"customer_id": customer.pk, "action": action, "addon_type": addon_type,
                    "user_id": getattr(user, "pk", None)},
            steps=[StepSpec(COMMANDS[action])],
        )


def _log(job: Job, outcome: str, error: str = "") -> None:
    AddonLog.objects.create(
        customer_id=job.params["customer_id"], user_id=job.params.get("user_id"), action=job.params["action"],
        addon_type=job.params["addon_type"], outcome=outcome, error=error, job=job,
    )


def addon_change_run(*, job: Job, attempt: int, max_attempts: int) -> dict:
    """The handler's work: window, Nina call, customer_addon, addon_log. Safe to run again."""
    customer = Customer.objects.get(pk=job.params["customer_id"])
    action, addon_type = job.params["action"], job.params["addon_type"]
    done = CustomerAddon.objects.filter(job=job).first() if action == "activate" else None
    if done is not None and done.status == CustomerAddon.Status.ACTIVE:
        return {"addon_id": done.pk, "status": done.status}  # a re-run after the work was saved
    target = None
    if action == "cancel":
        target = (
            CustomerAddon.objects.filter(customer=customer, addon_type=addon_type, status=CustomerAddon.Status.ACTIVE)
            .order_by("-activated_at", "-pk")
            .first()
        )
        if target is None:
            _log(job, "api_failure", "no active addon to cancel")
            raise PermanentError(f"no active {addon_type} addon to cancel")
    if not nina_request_slot_take(customer_id=customer.pk):
        _log(job, "rate_limited", "Too many requests")
        raise PermanentError("Too many requests")
    try:
        answer = NinaClient().change_addon(customer_ref=customer.external_ref or str(customer.pk), addon=addon_type,
                                           action=action)
    except NinaFailure as exc:
        if exc.rate_limited:
            _log(job, "rate_limited", str(exc))
            raise PermanentError("Too many requests") from None
        if exc.transient and attempt < max_attempts:
            raise TransientError(str(exc)) from None
        _log(job, "api_failure", str(exc))
        raise PermanentError(str(exc)) from None
    now = timezone.now()
    with transaction.atomic():
        if action == "activate":
            addon = CustomerAddon.objects.create(
                customer=customer, addon_type=addon_type, status=CustomerAddon.Status.ACTIVE, activated_at=now,
                data_mb=ADDON_CATALOGUE[addon_type]["data_mb"], provider_reference=answer.reference, job=job,
            )
        else:
            addon = target
            CustomerAddon.objects.filter(pk=addon.pk).update(status=CustomerAddon.Status.CANCELLED, cancelled_at=now)
        _log(job, "success")
    return {"addon_id": addon.pk, "status": "active" if action == "activate" else "cancelled",
            "provider_reference": answer.reference}
