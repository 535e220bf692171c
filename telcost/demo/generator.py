"""Deterministic demo data: two partners with their customers, devices (labels, users), cost
centers with history, rate plans with versions, a sync profile of every provider kind, CDRs,
users, and the recalculations of every month dispatched (load_demo runs them before the web
starts, so the first login shows real totals).

The same seed gives the same data, and a second build adds nothing. Sizes are parameters so
benchmarks can ask for millions of CDRs; generate_cdrs bulk-inserts in batches (COPY on
PostgreSQL).
"""

import copy
import datetime as dt
import os
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from telcost.accounts.models import Membership
from telcost.alerts.models import AlertRule
from telcost.alerts.services import alert_rule_create
from telcost.core.cdr_format import CSV_COLUMNS
from telcost.core.cycles import (
    cycle_bounds,
    cycle_start_of,
    previous_cycle,
)
from telcost.customers.models import (
    CostCenter,
    CostCenterAssignment,
    Customer,
    Device,
    RatePlan,
    RatePlanVersion,
)
from telcost.customers.services import rate_plan_create, rate_plan_version_add
from telcost.reports.models import ReportSubscription
from telcost.reports.services import subscription_create
from telcost.syncs.models import SyncProfile
from telcost.syncs.profiles import SyncInputError, sync_profile_create
from telcost.usage.billing.cost import cost_rule
from telcost.usage.models import CDR, CycleTotals
from telcost.usage.recalculation.services import recalculation_dispatch
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

# Two more plans, and each plan's later version: (code, valid_from as months before the current
# one, the changes of that version). Versions are written as rows (RatePlanVersion): the service
# that adds them (h-rateplans' rate_plan_version_add) is not on main yet.
FLEX_RATE_PLAN = {
    **copy.deepcopy(DEMO_RATE_PLAN),
    "code": "flex-2026",
    "name": "Flex 2026",
    "monthly_fee": "8.00",
    "bundle": {"voice_minutes": 100, "sms": 50, "data_mb": 2048, "zones": ["national"]},
}
IOT_RATE_PLAN = {
    **copy.deepcopy(DEMO_RATE_PLAN),
    "code": "iot-2026",
    "name": "IoT 2026",
    "monthly_fee": "2.50",
    "bundle": {"voice_minutes": 0, "sms": 10, "data_mb": 500, "zones": ["national", "eu"]},
}
DEMO_RATE_PLANS = [DEMO_RATE_PLAN, FLEX_RATE_PLAN, IOT_RATE_PLAN]
LATER_VERSIONS = [
    ("biz-2026", 0, {"monthly_fee": "13.50", "name": "Business 2026 (new fee)"}),
    ("flex-2026", 1, {"monthly_fee": "9.00"}),
    ("iot-2026", 1, {"monthly_fee": "2.00"}),
]

DEMO_PASSWORD = "telcost-demo"
DEMO_USERS = [
    # username, staff, [(customer key, role)]
    ("admin", True, []),
    ("manager", False, [("rateplan", "manager")]),
    ("viewer", False, [("rateplan", "viewer")]),
    ("standard", False, [("standard", "manager")]),
    ("partner", False, [("partner", "manager")]),
    ("partner2", False, [("partner2", "manager")]),
]
# The partners and their customers: key -> (name, kind, rate plan code, external ref, partner).
DEMO_PARTNERS = {
    "partner": ("Partner Telecom", "RT00001"),
    "partner2": ("Noord Connect", "RT00010"),
}
DEMO_CUSTOMERS = {
    "rateplan": ("Datri Logistics", "rateplan", "biz-2026", "RT00002", "partner"),
    "standard": ("Bakkerij Jansen", "standard", None, "RT00003", "partner"),
    "third": ("Zorggroep Noord", "rateplan", "biz-2026", "RT00004", "partner"),
    "installer": ("Installatiebedrijf De Vries", "rateplan", "flex-2026", "RT00011", "partner2"),
    "council": ("Gemeente Veendam", "rateplan", "iot-2026", "RT00012", "partner2"),
}
# A sync profile of every provider kind, each served by the demo's simulators.
DEMO_SYNC_PROFILES = [
    # customer key, name, provider
    ("rateplan", "Provider API", "http_api"),
    ("standard", "Routit (Nina)", "routit"),
    ("third", "Bestanden (file drop)", "file_drop"),
    ("installer", "Routit (Nina)", "routit"),
]
DEMO_SCHEDULE = "0 3 * * *"  # every night at 03:00
_FIRST_NAMES = ["Anna", "Bram", "Chantal", "Daan", "Eva", "Finn", "Greet", "Hugo", "Iris", "Joost"]
_LAST_NAMES = ["de Jong", "Jansen", "de Vries", "van Dijk", "Bakker", "Visser", "Smit", "Meijer"]
_DEVICE_KINDS = ["iPhone", "Samsung", "Laptop", "Tablet", "Router", "Bus"]
_ZONES = ["national"] * 8 + ["eu"] * 2 + ["international"]
_TYPES = ["voice"] * 5 + ["sms"] * 2 + ["data"] * 3


@dataclass
class Demo:
    partner: Customer  # the first partner (partners holds both)
    customers: dict[str, Customer]
    partners: dict[str, Customer] = field(default_factory=dict)
    devices: dict[str, list[Device]] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    cdrs: int = 0
    recalculations: int = 0  # months dispatched to be calculated
    skipped: list[str] = field(default_factory=list)  # what could not be made, and why
    new_profiles: list[SyncProfile] = field(default_factory=list)  # made by this build
    current: dt.date | None = None  # the current month


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
    rows = []
    for i in range(count):
        kind = _DEVICE_KINDS[i % len(_DEVICE_KINDS)]
        # Routers and buses are nobody's: no user name, as in a real inventory.
        user = (
            ""
            if kind in ("Router", "Bus")
            else f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
        )
        rows.append(
            Device(
                msisdn=str(first_msisdn + i),
                iccid=f"8931{first_msisdn + i:015d}",
                label=f"{kind} {i + 1:03d}",
                user_name=user,
                customer=customer,
                activated_on=activated_on - dt.timedelta(days=rng.randrange(0, 400)),
                # A few SIMs were switched off last month: they still cost in their last cycle.
                deactivated_on=(activated_on - dt.timedelta(days=1)) if i % 37 == 36 else None,
            )
        )
    Device.objects.bulk_create(rows, ignore_conflicts=True)
    return list(Device.objects.filter(customer=customer).order_by("msisdn"))


def _cost_centers(customer: Customer, devices: list[Device], cycles: list[dt.date]) -> None:
    """Four cost centers; every device in one from the first month, some moving later and a few
    unassigned from the current month (an assignment without a cost center): a history to show."""
    centers = [
        CostCenter.objects.get_or_create(customer=customer, code=code, defaults={"name": name})[0]
        for code, name in [
            ("SALES", "Sales"),
            ("OPS", "Operations"),
            ("MGMT", "Management"),
            ("IT", "IT"),
        ]
    ]
    first_cycle = cycles[0]
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
        if i % 20 == 0 and cycles[-1] > first_cycle + dt.timedelta(days=45):
            # ... and a few moved twice, the second time at the start of the current month.
            assignments.append(
                CostCenterAssignment(
                    device=device, cost_center=centers[(i + 2) % 4], valid_from=cycles[-1]
                )
            )
        if i % 37 == 36 or i == len(devices) - 1:
            # The switched-off SIMs, and the last (idle) one: in no cost center from this month.
            assignments.append(
                CostCenterAssignment(device=device, cost_center=None, valid_from=cycles[-1])
            )
    CostCenterAssignment.objects.bulk_create(assignments, ignore_conflicts=True)


def _rate_plans(current: dt.date) -> dict[str, RatePlan]:
    """The demo's plans through the services, each with a first version from the first month a
    user may ask for (rate_plan_create) and a later one (LATER_VERSIONS, rate_plan_version_add),
    both validated as the editor's are. Idempotent: what exists is kept."""
    plans = {}
    for document in DEMO_RATE_PLANS:
        plans[document["code"]] = RatePlan.objects.filter(
            code=document["code"]
        ).first() or rate_plan_create(definition=document)
    documents = {document["code"]: document for document in DEMO_RATE_PLANS}
    for code, months_back, changes in LATER_VERSIONS:
        valid_from = current
        for _ in range(months_back):
            valid_from = previous_cycle(valid_from)
        if not RatePlanVersion.objects.filter(
            rate_plan=plans[code], valid_from=valid_from
        ).exists():
            rate_plan_version_add(
                rate_plan=plans[code],
                valid_from=valid_from,
                definition={**copy.deepcopy(documents[code]), **changes},
            )
    return plans


def provider_simulator_url() -> str:
    """Where the demo's provider simulator listens (demo_runner: TELCOST_PORT + 102)."""
    port = int(os.environ.get("TELCOST_PORT", "8000")) + 102
    return os.environ.get("PROVIDER_SIMULATOR_URL") or f"http://127.0.0.1:{port}"


def _sync_profiles(
    customers: dict[str, Customer],
    current: dt.date,
    rng: random.Random,
    skipped: list[str],
    created: list[SyncProfile],
) -> None:
    """One profile of every provider kind; a second start on another port moves the http_api one
    to where its simulator now listens."""
    for key, name, provider in DEMO_SYNC_PROFILES:
        customer = customers[key]
        settings_of = {
            "http_api": {"base_url": provider_simulator_url(), "timeout_s": 15},
            "routit": {},
            "file_drop": {"path": f"demo/{customer.external_ref}"},
        }[provider]
        credentials = {"api_key": f"key-demo-{customer.external_ref.lower()}"}
        if provider != "http_api":
            credentials = {}
        if provider == "file_drop":
            _drop_file(customer, current, settings_of["path"], rng)
        profile = SyncProfile.objects.filter(customer=customer, name=name).first()
        if profile is None:
            try:
                profile = sync_profile_create(
                    customer=customer,
                    name=name,
                    provider=provider,
                    settings=settings_of,
                    credentials=credentials,
                    schedule=DEMO_SCHEDULE,
                )
            except SyncInputError as exc:
                # The simulator's loopback address needs TELCOST_ALLOW_PRIVATE_PROVIDER_URLS
                # (make demo sets it); without it the rest of the demo still loads.
                skipped.append(f"{customer.name}: {name}: {exc}")
            else:
                created.append(profile)
        elif profile.settings != settings_of:
            profile.settings = settings_of
            profile.save(update_fields=["settings"])


def _drop_file(customer: Customer, cycle_start: dt.date, path: str, rng: random.Random) -> None:
    """The month's CDR file in the file_drop profile's folder (written once), for its devices."""
    folder = os.path.join(settings.TELCOST_DROP_ROOT, path)
    target = os.path.join(folder, f"cdrs-{cycle_start:%Y-%m}.csv")
    if os.path.exists(target):
        return
    os.makedirs(folder, exist_ok=True)
    devices = list(customer.devices.order_by("msisdn").values_list("msisdn", flat=True)[:20])
    start, end = cycle_bounds(cycle_start)
    # Only up to now: a provider delivers what has happened.
    end = min(end, timezone.now())
    span = max(1, int((end - start).total_seconds()))
    lines = [",".join(CSV_COLUMNS)]
    for i in range(200 if devices else 0):
        f = _cdr_fields(rng, start, span, customer)
        lines.append(
            ",".join(
                [
                    f"drop-{customer.external_ref}-{cycle_start:%Y%m}-{i}",
                    devices[i % len(devices)],
                    f["started_at"].isoformat(),
                    f["record_type"],
                    f["zone"],
                    f["destination"],
                    str(f["duration_s"]),
                    str(f["volume_kb"]),
                    str(f["provider_cost"]),
                ]
            )
        )
    partial = f"{target}.part"
    with open(partial, "w", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    os.replace(partial, target)  # a sync never reads half a file


# Alert rules of the demo (customer key, name, metric, scope, threshold): a monthly budget the
# demo's months go over, so the usage page, the partner overview and the alerts page show fired
# alerts; a roaming limit per device that only the busiest devices pass.
DEMO_ALERT_RULES = [
    ("rateplan", "Maandbudget", "total_cost", "customer", "50"),
    ("rateplan", "Roaming per toestel", "roaming_cost", "device", "2"),
    ("third", "Datagebruik", "data_mb", "customer", "100000"),
]


def _alert_rules(customers: dict[str, Customer]) -> None:
    """Made before the months are calculated: each calculation ends by evaluating them."""
    for key, name, metric, scope, threshold in DEMO_ALERT_RULES:
        customer = customers[key]
        if not AlertRule.objects.filter(customer=customer, name=name).exists():
            alert_rule_create(
                customer=customer,
                name=name,
                metric=metric,
                scope=scope,
                threshold=threshold,
                recipients=["manager@telcost.demo"],
            )


def _report_subscription(user, customer: Customer) -> None:
    """The manager's monthly report of their customer, on the 1st, in Dutch."""
    if not ReportSubscription.objects.filter(user=user, customer=customer).exists():
        subscription_create(user=user, customer=customer, day_of_month=1, language="nl")


def _dispatch_recalculations(customer: Customer, cycles: list[dt.date]) -> int:
    """Each month without totals gets the real recalculation (load_demo runs them at once)."""
    done = set(CycleTotals.objects.filter(customer=customer).values_list("cycle_start", flat=True))
    dispatched = 0
    for cycle_start in cycles:
        if cycle_start not in done:
            recalculation_dispatch(customer=customer, cycle_start=cycle_start, reason="demo")
            dispatched += 1
    return dispatched


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
    plans = _rate_plans(current)
    partners = {
        key: Customer.objects.get_or_create(
            name=name, defaults={"kind": "standard", "external_ref": ref}
        )[0]
        for key, (name, ref) in DEMO_PARTNERS.items()
    }
    customers = {}
    for key, (name, kind, plan_code, ref, partner_key) in DEMO_CUSTOMERS.items():
        customers[key], _ = Customer.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "rate_plan": plans[plan_code] if plan_code else None,
                "partner": partners[partner_key],
                "external_ref": ref,
            },
        )
    demo = Demo(partner=partners["partner"], customers=customers, partners=partners)
    _alert_rules(customers)
    for n, (key, customer) in enumerate(customers.items()):
        fresh = not customer.devices.exists()
        devices = _devices(customer, devices_per_customer, 31610000000 + n * 100000, cycles[0], rng)
        demo.devices[key] = devices
        if fresh:
            _cost_centers(customer, devices, cycles)
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
            demo.recalculations += _dispatch_recalculations(customer, cycles)
    _sync_profiles(customers, current, rng, demo.skipped, demo.new_profiles)
    demo.current = current
    all_customers = {**customers, **partners}
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
    _report_subscription(demo.users["manager"], customers["rateplan"])
    return demo
