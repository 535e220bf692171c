"""Deterministic demo data: a partner with its customers, devices, cost centers, CDRs, users.

The same seed gives the same data. Sizes are parameters so benchmarks can ask for
millions of CDRs; generate_cdrs bulk-inserts in batches (COPY on PostgreSQL).
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from telcost.accounts.models import Membership
from telcost.core.cycles import cycle_bounds, cycle_start_of, previous_cycle
from telcost.customers.models import CostCenter, CostCenterAssignment, Customer, Device, RatePlan
from telcost.customers.services import rate_plan_create
from telcost.usage.billing.cost import cost_rule
from telcost.usage.models import CDR
from telcost.usage.sql import CDR_COLUMNS
from telcost.usage.sql.bulk import rows_insert

DEMO_RATE_PLAN = {
    "code": "biz-2026",
    "name": "Business 2026",
    "monthly_fee": "12.50",
    "voice": {
        "setup_fee": "0.05",
        "initial_increment_s": 60,
        "subsequent_increment_s": 1,
        "per_minute": {"national": "0.10", "eu": "0.10", "international": "0.80"},
    },
    "sms": {"per_message": {"national": "0.08", "eu": "0.08", "international": "0.25"}},
    "data": {
        "increment_kb": 100,
        "per_mb": {"national": "0.02", "eu": "0.02", "international": "5.00"},
    },
    "bundle": {"voice_minutes": 300, "sms": 100, "data_mb": 5120, "zones": ["national", "eu"]},
}

DEMO_PASSWORD = "telcost-demo"
DEMO_USERS = [
    # username, staff, [(customer key, role)]
    ("admin", True, []),
    ("manager", False, [("rateplan", "manager")]),
    ("viewer", False, [("rateplan", "viewer")]),
    ("standard", False, [("standard", "manager")]),
    ("partner", False, [("partner", "manager")]),
]
_ZONES = ["national"] * 8 + ["eu"] * 2 + ["international"]
_TYPES = ["voice"] * 5 + ["sms"] * 2 + ["data"] * 3


@dataclass
class Demo:
    partner: Customer
    customers: dict[str, Customer]
    devices: dict[str, list[Device]] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    cdrs: int = 0


def _cdr_fields(rng: random.Random, start: dt.datetime, span_s: int, customer: Customer) -> dict:
    record_type = rng.choice(_TYPES)
    zone = rng.choice(_ZONES)
    started_at = start + dt.timedelta(seconds=rng.randrange(span_s))
    duration = volume = 0
    if record_type == "voice":
        duration = 0 if rng.random() < 0.05 else int(rng.expovariate(1 / 150)) + 1
        cost = Decimal(duration) * Decimal("0.0015")
    elif record_type == "sms":
        cost = Decimal("0.08")
    else:
        volume = int(rng.expovariate(1 / 20000)) + 1
        cost = Decimal(volume) * Decimal("0.00002")
    if zone == "international":
        cost *= 8
    return {
        "record_type": record_type,
        "zone": zone,
        "started_at": started_at,
        "duration_s": duration,
        "volume_kb": volume,
        "provider_cost": cost.quantize(Decimal("0.0001")),
        "destination": {"national": "31", "eu": "49", "international": "1"}[zone]
        + str(rng.randrange(10**8, 10**9)),
    }


def generate_cdrs(
    *,
    customer: Customer,
    devices: list[Device],
    cycle_start: dt.date,
    count: int,
    seed: int = 1,
    prefix: str = "demo",
    batch_size: int = 20_000,
) -> int:
    """Insert `count` CDRs of the cycle for the devices; external_ids are deterministic. Returns
    count."""
    rng = random.Random(f"{seed}-{customer.pk}-{cycle_start}")
    start, end = cycle_bounds(cycle_start)
    span = int((end - start).total_seconds())
    rule = cost_rule(customer)
    done = 0
    while done < count:
        n = min(batch_size, count - done)
        rows = []
        for i in range(done, done + n):
            f = _cdr_fields(rng, start, span, customer)
            device = devices[i % len(devices)]
            rows.append(
                (
                    customer.pk,
                    device.pk,
                    f"{prefix}-{cycle_start:%Y%m}-{i}",
                    f["started_at"],
                    f["record_type"],
                    f["zone"],
                    f["destination"],
                    f["duration_s"],
                    f["volume_kb"],
                    f["provider_cost"],
                    rule.stored_on_import(f["provider_cost"]),
                    cycle_start,
                )
            )
        rows_insert(CDR, CDR_COLUMNS, rows)
        done += n
    return count


def _devices(
    customer: Customer, count: int, first_msisdn: int, activated_on: dt.date, rng: random.Random
) -> list[Device]:
    Device.objects.bulk_create(
        [
            Device(
                msisdn=str(first_msisdn + i),
                iccid=f"8931{first_msisdn + i:015d}",
                label=f"{customer.name} SIM {i + 1}",
                customer=customer,
                activated_on=activated_on - dt.timedelta(days=rng.randrange(0, 400)),
                # A few SIMs were switched off last month: they still cost in their last cycle.
                deactivated_on=(activated_on - dt.timedelta(days=1)) if i % 37 == 36 else None,
            )
            for i in range(count)
        ],
        ignore_conflicts=True,
    )
    return list(Device.objects.filter(customer=customer).order_by("msisdn"))


def _cost_centers(customer: Customer, devices: list[Device], first_cycle: dt.date) -> None:
    centers = [
        CostCenter.objects.get_or_create(customer=customer, code=code, defaults={"name": name})[0]
        for code, name in [
            ("SALES", "Sales"),
            ("OPS", "Operations"),
            ("MGMT", "Management"),
            ("IT", "IT"),
        ]
    ]
    assignments = []
    for i, device in enumerate(devices):
        assignments.append(
            CostCenterAssignment(device=device, cost_center=centers[i % 4], valid_from=first_cycle)
        )
        if i % 10 == 0:
            # Some devices move to another cost center half-way through the period.
            assignments.append(
                CostCenterAssignment(
                    device=device,
                    cost_center=centers[(i + 1) % 4],
                    valid_from=first_cycle + dt.timedelta(days=45),
                )
            )
    CostCenterAssignment.objects.bulk_create(assignments, ignore_conflicts=True)


@transaction.atomic
def build_demo(
    *,
    devices_per_customer: int = 120,
    cdrs_per_month: int = 3000,
    months: int = 3,
    seed: int = 2026,
    today: dt.date | None = None,
) -> Demo:
    """The demo world; idempotent (a second call finds what the first made and adds nothing)."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    current = cycle_start_of(today)
    cycles = [current]
    for _ in range(months - 1):
        cycles.insert(0, previous_cycle(cycles[0]))
    # Through the service: the plan and its first version (from 2000-01), validated.
    plan = RatePlan.objects.filter(code=DEMO_RATE_PLAN["code"]).first() or rate_plan_create(
        definition=DEMO_RATE_PLAN
    )
    partner, _ = Customer.objects.get_or_create(
        name="Partner Telecom", defaults={"kind": "standard", "external_ref": "RT00001"}
    )
    specs = {
        "rateplan": ("Datri Logistics", "rateplan", plan, "RT00002"),
        "standard": ("Bakkerij Jansen", "standard", None, "RT00003"),
        "third": ("Zorggroep Noord", "rateplan", plan, "RT00004"),
    }
    customers = {}
    for key, (name, kind, rate_plan, ref) in specs.items():
        customers[key], _ = Customer.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "rate_plan": rate_plan,
                "partner": partner,
                "external_ref": ref,
            },
        )
    demo = Demo(partner=partner, customers=customers)
    for n, (key, customer) in enumerate(customers.items()):
        fresh = not customer.devices.exists()
        devices = _devices(customer, devices_per_customer, 31610000000 + n * 100000, cycles[0], rng)
        demo.devices[key] = devices
        if fresh:
            _cost_centers(customer, devices, cycles[0])
            # A few devices stay idle: they cost a monthly fee and show up in the insights.
            active = devices[: max(1, len(devices) - 5)]
            for cycle_start in cycles:
                demo.cdrs += generate_cdrs(
                    customer=customer,
                    devices=active,
                    cycle_start=cycle_start,
                    count=cdrs_per_month,
                    seed=seed,
                )
    all_customers = {**customers, "partner": partner}
    User = get_user_model()
    for username, staff, memberships in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                is_staff=staff,
                is_superuser=staff,
                email=f"{username}@telcost.demo",
            )
        for key, role in memberships:
            Membership.objects.get_or_create(
                user=user, customer=all_customers[key], defaults={"role": role}
            )
        demo.users[username] = user
    return demo
