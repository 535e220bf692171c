"""Writes of the customers app: rate plans, customers and devices."""

import datetime as dt

from django.db import IntegrityError, transaction
from pydantic import ValidationError

from telcost.core.cdr_format import msisdn_valid
from telcost.customers.models import Customer, Device, RatePlan
from telcost.customers.rate_plans import rate_plan_document, rate_plan_parse


class CustomerInputError(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _pydantic_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


@transaction.atomic
def rate_plan_create(*, definition: dict) -> RatePlan:
    try:
        plan = rate_plan_parse(definition)
    except ValidationError as exc:
        raise CustomerInputError(_pydantic_message(exc)) from None
    if RatePlan.objects.filter(code=plan.code).exists():
        raise CustomerInputError(f"rate plan {plan.code!r} exists", status=409)
    try:
        with transaction.atomic():
            return RatePlan.objects.create(
                code=plan.code,
                name=plan.name,
                monthly_fee=plan.monthly_fee,
                definition=rate_plan_document(plan),
            )
    except IntegrityError:
        raise CustomerInputError(f"rate plan {plan.code!r} exists", status=409) from None


@transaction.atomic
def customer_create(
    *,
    name: str,
    kind: str,
    rate_plan: str | None = None,
    partner_id: int | None = None,
    external_ref: str = "",
) -> Customer:
    plan = None
    if kind == Customer.Kind.RATEPLAN:
        if not rate_plan:
            raise CustomerInputError("rate_plan: a rateplan customer needs a rate plan")
        plan = RatePlan.objects.filter(code=rate_plan).first()
        if plan is None:
            raise CustomerInputError(f"rate_plan: unknown rate plan {rate_plan!r}")
    elif rate_plan:
        raise CustomerInputError(
            "rate_plan: a standard customer pays provider costs and takes no rate plan"
        )
    partner = None
    if partner_id is not None:
        partner = Customer.objects.filter(pk=partner_id).first()
        if partner is None:
            raise CustomerInputError(f"partner_id: unknown customer {partner_id}")
        if partner.partner_id is not None:
            raise CustomerInputError("partner_id: a partner's customer cannot itself be a partner")
    return Customer.objects.create(
        name=name, kind=kind, rate_plan=plan, partner=partner, external_ref=external_ref
    )


MSISDN_TAKEN = "msisdn is already a device"  # never whose: msisdns cannot be probed for owners
# What a device's edit may change, by who asks (the edge decides which set applies: a manager the
# first, staff the second; SPEC part 2 "Master data").
DEVICE_FIELDS_MANAGER = frozenset({"label", "user_name"})
DEVICE_FIELDS_STAFF = DEVICE_FIELDS_MANAGER | {"iccid", "activated_on", "deactivated_on"}
_TEXT_LIMITS = {"iccid": 22, "label": 200, "user_name": 200}


def device_fields_check(fields: dict) -> dict:
    """The device fields given, checked and typed; CustomerInputError naming the first bad one.

    Dates may be dates or ISO text (an import's cells); text is stripped.
    """
    checked: dict = {}
    for name, value in fields.items():
        if name in _TEXT_LIMITS:
            text = "" if value is None else str(value).strip()
            if "\x00" in text:
                raise CustomerInputError(f"{name}: contains a NUL character")
            if len(text) > _TEXT_LIMITS[name]:
                raise CustomerInputError(f"{name}: longer than {_TEXT_LIMITS[name]} characters")
            if name == "iccid" and text and not (text.isascii() and text.isdigit()):
                raise CustomerInputError("iccid: only digits")
            checked[name] = text
        elif name in ("activated_on", "deactivated_on"):
            checked[name] = _date_of(name, value)
        else:
            raise CustomerInputError(f"{name}: not a field of a device")
    if "activated_on" in checked and checked["activated_on"] is None:
        raise CustomerInputError("activated_on: required")
    return checked


def _date_of(name: str, value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CustomerInputError(f"{name}: not a date (YYYY-MM-DD): {str(value)[:40]!r}") from None


def device_dates_check(device: Device) -> None:
    if device.deactivated_on is not None and device.deactivated_on < device.activated_on:
        raise CustomerInputError("deactivated_on: before activated_on")


@transaction.atomic
def device_create(
    *,
    customer: Customer,
    msisdn: str,
    activated_on,
    iccid: str = "",
    label: str = "",
    user_name: str = "",
) -> Device:
    msisdn = (msisdn or "").strip()
    if not msisdn_valid(msisdn):
        raise CustomerInputError("msisdn: must be 6 to 20 digits")
    fields = device_fields_check(
        {"iccid": iccid, "label": label, "user_name": user_name, "activated_on": activated_on}
    )
    if Device.objects.filter(msisdn=msisdn).exists():
        raise CustomerInputError(MSISDN_TAKEN, status=409)
    device = Device(customer=customer, msisdn=msisdn, **fields)
    try:
        with transaction.atomic():
            device.save()  # the audit log's signal records the creation
    except IntegrityError:
        raise CustomerInputError(MSISDN_TAKEN, status=409) from None
    return device


@transaction.atomic
def device_update(*, device: Device, fields: dict) -> Device:
    """Change the given fields (a manager's or staff's, as the edge allowed); saved only when one
    differs, so the audit log shows real changes only."""
    checked = device_fields_check(fields)
    device = Device.objects.select_for_update().get(pk=device.pk)
    changed = [name for name, value in checked.items() if getattr(device, name) != value]
    for name in changed:
        setattr(device, name, checked[name])
    device_dates_check(device)
    if changed:
        device.save(update_fields=changed)
    return device


def device_deactivate(*, device: Device, on: dt.date | str) -> Device:
    """Deactivated from the day `on` (a date or its ISO text). Devices are never deleted: their
    CDRs and totals stay."""
    return device_update(device=device, fields={"deactivated_on": on})
