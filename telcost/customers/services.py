"""Writes of the customers app: rate plans and their versions, customers, devices, cost centers
and their assignments."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from pydantic import ValidationError

from telcost.core.cdr_format import msisdn_valid
from telcost.core.cycles import EARLIEST_REQUESTED_MONTH, MAX_YEAR
from telcost.customers.models import (
    CostCenter,
    CostCenterAssignment,
    Customer,
    Device,
    RatePlan,
    RatePlanVersion,
)
from telcost.customers.rate_plans import RatePlanModel, rate_plan_document, rate_plan_parse


class CustomerInputError(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _pydantic_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


# The first month a user may ask for (core/cycles.py): a plan's first version holds from it
# unless its creator says otherwise, so every cycle a user can recalculate has rates.
FIRST_VERSION_FROM = EARLIEST_REQUESTED_MONTH
# Versions may be written ahead (a new price from next year), but not into another century.
LAST_VERSION_FROM = dt.date(2099, 12, 1)


def _parsed(definition) -> RatePlanModel:
    if not isinstance(definition, dict):
        raise CustomerInputError("definition: must be a rate plan document (a JSON object)")
    try:
        return rate_plan_parse(definition)
    except ValidationError as exc:
        raise CustomerInputError(_pydantic_message(exc)) from None


def _checked_valid_from(valid_from) -> dt.date:
    if isinstance(valid_from, dt.datetime) or not isinstance(valid_from, dt.date):
        raise CustomerInputError("valid_from: must be a date (the first day of a month)")
    if valid_from.day != 1:
        raise CustomerInputError(
            f"valid_from: must be the first day of a month, not {valid_from.isoformat()}"
        )
    if not FIRST_VERSION_FROM <= valid_from <= LAST_VERSION_FROM:
        raise CustomerInputError(
            f"valid_from: must lie between {FIRST_VERSION_FROM:%Y-%m} and {LAST_VERSION_FROM:%Y-%m}"
        )
    return valid_from


def _version_create(plan: RatePlan, valid_from: dt.date, parsed: RatePlanModel) -> RatePlanVersion:
    # monthly_fee mirrors the document's fee (written here only), so a list can show it unparsed.
    return RatePlanVersion.objects.create(
        rate_plan=plan,
        valid_from=valid_from,
        definition=rate_plan_document(parsed),
        monthly_fee=parsed.monthly_fee,
    )


@transaction.atomic
def rate_plan_create(*, definition: dict, valid_from: dt.date = FIRST_VERSION_FROM) -> RatePlan:
    """A new plan with the document as its first version, valid from `valid_from` (2000-01 by
    default: the plan rates every month a user may recalculate)."""
    plan = _parsed(definition)
    valid_from = _checked_valid_from(valid_from)
    if RatePlan.objects.filter(code=plan.code).exists():
        raise CustomerInputError(f"rate plan {plan.code!r} exists", status=409)
    try:
        with transaction.atomic():
            created = RatePlan.objects.create(code=plan.code, name=plan.name)
    except IntegrityError:
        raise CustomerInputError(f"rate plan {plan.code!r} exists", status=409) from None
    _version_create(created, valid_from, plan)
    return created


@transaction.atomic
def rate_plan_version_add(
    *, rate_plan: RatePlan | str, valid_from: dt.date, definition: dict
) -> RatePlanVersion:
    """A new version of the plan from `valid_from` (the first day of a month) on.

    Stored totals stay as they are: a month uses the version when it is next recalculated.
    The document's code must be the plan's; 409 when the month already has a version.
    The plan's name follows its latest version.
    """
    if isinstance(rate_plan, str):
        found = RatePlan.objects.filter(code=rate_plan).first()
        if found is None:
            raise CustomerInputError(f"rate plan {rate_plan!r} does not exist", status=404)
        rate_plan = found
    valid_from = _checked_valid_from(valid_from)
    parsed = _parsed(definition)
    if parsed.code != rate_plan.code:
        raise CustomerInputError(
            f"code: the document's code {parsed.code!r} is not the plan's ({rate_plan.code!r})"
        )
    # The plan's row, locked: two versions of one plan are added one after the other.
    RatePlan.objects.select_for_update().filter(pk=rate_plan.pk).first()
    taken = f"rate plan {rate_plan.code} already has a version from {valid_from:%Y-%m}"
    if RatePlanVersion.objects.filter(rate_plan=rate_plan, valid_from=valid_from).exists():
        raise CustomerInputError(taken, status=409)
    try:
        with transaction.atomic():
            version = _version_create(rate_plan, valid_from, parsed)
    except IntegrityError:
        raise CustomerInputError(taken, status=409) from None
    later = RatePlanVersion.objects.filter(rate_plan=rate_plan, valid_from__gt=valid_from)
    if not later.exists() and rate_plan.name != parsed.name:
        rate_plan.name = parsed.name
        rate_plan.save(update_fields=["name"])
    return version


def _plan_and_partner(
    *, kind: str, rate_plan: str | None, partner_id: int | None, customer: Customer | None = None
) -> tuple[RatePlan | None, Customer | None]:
    """The rate plan and partner a customer of this kind may have (create and update alike)."""
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
        if customer is not None:
            if partner.pk == customer.pk:
                raise CustomerInputError("partner_id: a customer cannot be its own partner")
            if customer.children.exists():
                raise CustomerInputError(
                    "partner_id: a partner cannot itself have a partner (one level only)"
                )
    return plan, partner


@transaction.atomic
def customer_create(
    *,
    name: str,
    kind: str,
    rate_plan: str | None = None,
    partner_id: int | None = None,
    external_ref: str = "",
) -> Customer:
    plan, partner = _plan_and_partner(kind=kind, rate_plan=rate_plan, partner_id=partner_id)
    return Customer.objects.create(
        name=name, kind=kind, rate_plan=plan, partner=partner, external_ref=external_ref
    )


UNCHANGED = object()  # a field a partial update leaves as it is


@transaction.atomic
def customer_update(
    *, customer: Customer, name=UNCHANGED, kind=UNCHANGED, rate_plan=UNCHANGED, partner_id=UNCHANGED
) -> Customer:
    """Change what is given; the result must be a valid customer as customer_create sees one.

    A customer that becomes standard drops its rate plan unless one is given (which is refused).
    Totals are not touched: they change when a month is recalculated (SPEC part 2).
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if name is not UNCHANGED:
        name = (name or "").strip()
        if not name:
            raise CustomerInputError("name: a customer needs a name")
        customer.name = name
    kind = customer.kind if kind is UNCHANGED else kind
    if rate_plan is UNCHANGED:
        rate_plan = (
            customer.rate_plan.code
            if kind == Customer.Kind.RATEPLAN and customer.rate_plan_id
            else None
        )
    partner_id = customer.partner_id if partner_id is UNCHANGED else partner_id
    plan, partner = _plan_and_partner(
        kind=kind, rate_plan=rate_plan, partner_id=partner_id, customer=customer
    )
    customer.kind, customer.rate_plan, customer.partner = kind, plan, partner
    customer.save()
    return customer


# Cost centers and their dated assignments (SPEC part 2 "Master data"). Each row is saved on its
# own, not in bulk: the audit log's signals then write one entry per change (customers sits below
# audit and cannot call audit_record itself).


def _code_and_name(code: str, name: str) -> tuple[str, str]:
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        raise CustomerInputError(_("code: a cost center needs a code"))
    if len(code) > CostCenter._meta.get_field("code").max_length:
        raise CustomerInputError(_("code: at most 64 characters"))
    return code, _cost_center_name(name)


def _cost_center_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise CustomerInputError(_("name: a cost center needs a name"))
    if len(name) > CostCenter._meta.get_field("name").max_length:
        raise CustomerInputError(_("name: at most 200 characters"))
    return name


def _code_taken(code: str) -> CustomerInputError:
    return CustomerInputError(
        _("code: cost center %(code)s already exists") % {"code": code}, status=409
    )


@transaction.atomic
def cost_center_create(*, customer: Customer, code: str, name: str) -> CostCenter:
    code, name = _code_and_name(code, name)
    if CostCenter.objects.filter(customer=customer, code=code).exists():
        raise _code_taken(code)
    try:
        with transaction.atomic():
            return CostCenter.objects.create(customer=customer, code=code, name=name)
    except IntegrityError:  # created meanwhile by another request
        raise _code_taken(code) from None


@transaction.atomic
def cost_center_rename(*, cost_center: CostCenter, name: str) -> CostCenter:
    cost_center.name = _cost_center_name(name)
    cost_center.save(update_fields=["name"])
    return cost_center


@transaction.atomic
def cost_center_delete(*, cost_center: CostCenter) -> None:
    """Refused (409) while any assignment, past or future, names it: its history would change."""
    cost_center = CostCenter.objects.select_for_update().get(pk=cost_center.pk)
    named = cost_center.assignments.count()
    if named:
        raise CustomerInputError(_in_use(cost_center.code), status=409)
    try:
        with transaction.atomic():
            cost_center.delete()
    except ProtectedError:  # assigned meanwhile
        raise CustomerInputError(_in_use(cost_center.code), status=409) from None


def _in_use(code: str) -> str:
    return _(
        "Cost center %(code)s cannot be deleted while devices were, are or will be assigned to "
        "it: it stays in their history. Create a new cost center instead, or rename this one."
    ) % {"code": code}


# valid_from of an assignment: from the first month a user may ask for; the upper end only keeps
# the date within what every date computation (local day starts, cycles) can hold.
ASSIGNMENT_FIRST_DAY = EARLIEST_REQUESTED_MONTH
ASSIGNMENT_LAST_DAY = dt.date(MAX_YEAR, 12, 31)
MAX_ASSIGNED_DEVICES = 5000


@transaction.atomic
def cost_centers_assign(
    *, customer: Customer, msisdns: list[str], cost_center_code: str | None, valid_from: dt.date
) -> int:
    """Put the devices in the cost center from valid_from on (None: in none from then on).

    All or nothing: a msisdn that is not a device of this customer is a 400 naming it. A device
    that already has an assignment on that day has it changed; the assignments before and after
    stay, so a later move still ends this one. Returns how many devices were assigned.
    """
    wanted = list(dict.fromkeys(m.strip() for m in msisdns))
    if not wanted or any(not m for m in wanted):
        raise CustomerInputError(_("msisdns: choose at least one device"))
    if len(wanted) > MAX_ASSIGNED_DEVICES:
        raise CustomerInputError(
            _("msisdns: at most %(count)s devices at a time") % {"count": MAX_ASSIGNED_DEVICES}
        )
    if not ASSIGNMENT_FIRST_DAY <= valid_from <= ASSIGNMENT_LAST_DAY:
        raise CustomerInputError(
            _("valid_from: a date from %(day)s on") % {"day": ASSIGNMENT_FIRST_DAY.isoformat()}
        )
    center = None
    if cost_center_code is not None:
        center = CostCenter.objects.filter(customer=customer, code=cost_center_code).first()
        if center is None:
            raise CustomerInputError(
                _("cost_center_code: %(code)s is not a cost center of this customer")
                % {"code": cost_center_code}
            )
    devices = {
        d.msisdn: d
        for d in Device.objects.select_for_update().filter(customer=customer, msisdn__in=wanted)
    }
    strangers = [m for m in wanted if m not in devices]
    if strangers:
        shown = ", ".join(strangers[:10]) + (" …" if len(strangers) > 10 else "")
        raise CustomerInputError(
            _("msisdns: not a device of this customer: %(msisdns)s") % {"msisdns": shown}
        )
    existing = {
        a.device_id: a
        for a in CostCenterAssignment.objects.filter(
            device__in=devices.values(), valid_from=valid_from
        )
    }
    for device in devices.values():
        assignment = existing.get(device.pk)
        if assignment is None:
            assignment = CostCenterAssignment(device=device, valid_from=valid_from)
        elif assignment.cost_center_id == (center.pk if center else None):
            continue
        assignment.cost_center = center
        assignment.save()
    return len(devices)


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
