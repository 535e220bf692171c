"""Builders for usage tests: rate plan variants and CDRs."""

import copy
import datetime as dt
import itertools
from decimal import Decimal

from telcost.usage.models import CDR
from tests.factories import RATE_PLAN_DEFINITION, DeviceFactory

SEPT = dt.date(2026, 9, 1)
_ids = itertools.count()


def plan_with(**changes) -> dict:
    """SPEC's rate plan with parts replaced, e.g. plan_with(bundle={...})."""
    plan = copy.deepcopy(RATE_PLAN_DEFINITION)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(plan.get(key), dict):
            plan[key].update(value)
        else:
            plan[key] = value
    plan["code"] = f"plan-{next(_ids)}"
    return plan


NO_BUNDLE = {"voice_minutes": 0, "sms": 0, "data_mb": 0, "zones": ["national", "eu"]}


def add_cdr(
    customer,
    device=None,
    *,
    record_type="voice",
    zone="national",
    duration_s=0,
    volume_kb=0,
    at: dt.datetime | None = None,
    external_id: str | None = None,
    provider_cost="0.1000",
) -> CDR:
    device = device or DeviceFactory(customer=customer, activated_on=dt.date(2026, 1, 1))
    at = at or dt.datetime(2026, 9, 10, 12, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=next(_ids))
    return CDR.objects.create(
        customer=customer,
        device=device,
        external_id=external_id or f"e{next(_ids):06d}",
        started_at=at,
        record_type=record_type,
        zone=zone,
        destination="x",
        duration_s=duration_s,
        volume_kb=volume_kb,
        provider_cost=Decimal(provider_cost),
        cycle_start=SEPT,
    )


def costs(*cdrs) -> list[str]:
    return [str(CDR.objects.get(pk=c.pk).cost) for c in cdrs]
