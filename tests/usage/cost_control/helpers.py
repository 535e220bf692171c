"""A hand-computed October 2026 (summer time ends on the 25th at 03:00 CEST → 02:00 CET).

Plan: SPEC's prices (setup 0.05, 60 s then 1 s at 0.10/min national; sms 0.08 national and eu,
0.25 international; data 0.02/MB national, by the KB), a bundle of 1 MB data only, plus a data
boost of 1 MB active in October; monthly fee 12.50.

Device A 31600000001: SALES from 2026-01-01, OPS from 2026-10-25 (the day summer time ends).
  24 Oct 23:30 CEST (21:30 UTC)  voice 60 s   cost 0.15  provider 0.20  → SALES (24th)
  25 Oct 00:30 CEST (24 Oct 22:30 UTC) voice 120 s cost 0.25 provider 0.25 → OPS (25th)
  25 Oct 23:30 CET (22:30 UTC)   sms national cost 0.08  provider 0.05  → OPS
  12 Oct data 3072 KB: 2048 KB covered (1 MB bundle + 1 MB boost), 1024 KB × 0.02 = 0.02,
     provider 0.10 → SALES; fee 12.50 → OPS (its cost center on 31 Oct)
Device B 31600000002: SALES from 2026-01-01, deactivated 20 Oct, OPS from 2026-10-25.
  10 Oct sms eu 0.08, provider 0.08 → SALES; fee 12.50 → SALES (its last active day, the 20th)
Device C 31600000003: OPS from 2026-01-01; no CDRs; fee 12.50 → OPS
Device D 31600000004: no cost center. 5 Oct voice 30 s: 0.05 + 0.10 = 0.15, provider 0.30;
  fee 12.50 → unassigned
Device E 31600000005: SALES only from 2026-11-01. 6 Oct sms international 0.25, provider 0.25;
  fee 12.50 → unassigned
Device F 31600000006: deactivated in September: no fee, nothing anywhere.

SALES: voice 0.15, sms 0.08, data 0.02, fees 12.50 → 12.75, 2 devices (A, B)
OPS: voice 0.25, sms 0.08, fees 25.00 → 25.33, 2 devices (A, C)
unassigned: voice 0.15, sms 0.25, fees 25.00 → 25.40, 2 devices (D, E)
Total: usage 0.98 + fees 62.50 = 63.48.
Reconciliation: provider 1.23, rated 0.98, difference 0.25, overcharged 0.05 + 0.08 + 0.15 =
0.28 in 3 records; devices D 0.15, A 0.10, B 0.00, E 0.00.
"""

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from telcost.addons.models import CustomerAddon
from telcost.usage.billing.rating import cdrs_rate
from telcost.usage.billing.totals import totals_calculate
from telcost.usage.models import CDR
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    RatePlanFactory,
)
from tests.usage.helpers import plan_with

OCT = dt.date(2026, 10, 1)
AMS = ZoneInfo("Europe/Amsterdam")
_ids = itertools.count()


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AMS)


def cdr(customer, device, at, record_type, provider_cost, **fields) -> CDR:
    return CDR.objects.create(
        customer=customer,
        device=device,
        external_id=f"oct-{next(_ids):05d}",
        started_at=at,
        record_type=record_type,
        zone=fields.pop("zone", "national"),
        destination=fields.pop("destination", "31201234567"),
        provider_cost=Decimal(provider_cost),
        cycle_start=OCT,
        **fields,
    )


def october(name: str = "Datri") -> dict:
    """The month above, not calculated yet: {"customer", "devices": {letter: Device}}."""
    definition = plan_with(
        bundle={"voice_minutes": 0, "sms": 0, "data_mb": 1, "zones": ["national", "eu"]},
        data={"increment_kb": 1},
    )
    plan = RatePlanFactory(code=definition["code"], name=definition["name"], definition=definition)
    customer = CustomerFactory(name=name, kind="rateplan", rate_plan=plan)
    sales = CostCenterFactory(customer=customer, code="SALES", name="Sales")
    ops = CostCenterFactory(customer=customer, code="OPS", name="Operations")
    CostCenterFactory(customer=customer, code="IDLE", name="Nobody here")
    jan = dt.date(2026, 1, 1)
    devices = {
        "A": DeviceFactory(customer=customer, msisdn="31600000001", label="Anna", activated_on=jan),
        "B": DeviceFactory(
            customer=customer,
            msisdn="31600000002",
            label="Bert",
            activated_on=jan,
            deactivated_on=dt.date(2026, 10, 20),
        ),
        "C": DeviceFactory(customer=customer, msisdn="31600000003", label="Cees", activated_on=jan),
        "D": DeviceFactory(customer=customer, msisdn="31600000004", label="Dirk", activated_on=jan),
        "E": DeviceFactory(customer=customer, msisdn="31600000005", label="Eva", activated_on=jan),
        "F": DeviceFactory(
            customer=customer,
            msisdn="31600000006",
            activated_on=jan,
            deactivated_on=dt.date(2026, 9, 15),
        ),
    }
    a, b, c, d, e = (devices[k] for k in "ABCDE")
    CostCenterAssignmentFactory(device=a, cost_center=sales, valid_from=jan)
    CostCenterAssignmentFactory(device=a, cost_center=ops, valid_from=dt.date(2026, 10, 25))
    CostCenterAssignmentFactory(device=b, cost_center=sales, valid_from=jan)
    CostCenterAssignmentFactory(device=b, cost_center=ops, valid_from=dt.date(2026, 10, 25))
    CostCenterAssignmentFactory(device=c, cost_center=ops, valid_from=jan)
    CostCenterAssignmentFactory(device=e, cost_center=sales, valid_from=dt.date(2026, 11, 1))
    cdr(customer, a, local(2026, 10, 24, 23, 30), "voice", "0.2000", duration_s=60)
    cdr(customer, a, local(2026, 10, 25, 0, 30), "voice", "0.2500", duration_s=120)
    cdr(customer, a, local(2026, 10, 25, 23, 30), "sms", "0.0500")
    cdr(customer, a, local(2026, 10, 12, 9, 0), "data", "0.1000", volume_kb=3072)
    cdr(customer, b, local(2026, 10, 10, 9, 0), "sms", "0.0800", zone="eu")
    cdr(customer, d, local(2026, 10, 5, 9, 0), "voice", "0.3000", duration_s=30)
    cdr(customer, e, local(2026, 10, 6, 9, 0), "sms", "0.2500", zone="international")
    CustomerAddon.objects.create(
        customer=customer,
        addon_type="data_boost",
        status="active",
        data_mb=1,
        activated_at=dt.datetime(2026, 9, 20, tzinfo=dt.UTC),
    )
    return {"customer": customer, "devices": devices}


def calculate(customer, cycle_start: dt.date = OCT) -> None:
    """Rate and total the month in this process: the chain's two steps that write costs."""
    if customer.is_rateplan:
        with transaction.atomic():
            cdrs_rate(customer=customer, cycle_start=cycle_start)
    totals_calculate(customer=customer, cycle_start=cycle_start)


def plan(code: str, fee: str, **changes):
    """A plan `code`: SPEC's prices with plan_with's `changes`, one version valid since 2000-01."""
    definition = plan_with(monthly_fee=fee, **changes)
    definition["code"], definition["name"] = code, code.title()
    return RatePlanFactory(code=code, name=code.title(), definition=definition)
