"""Rate-plan simulation (SPEC part 2): POST /api/customers/{id}/plan-simulations and its job.

Every month here is computed by hand in the test that uses it. Prices in micro-euros as rating
computes them: a call costs setup × 60 + uncovered seconds × per_minute, / 6000, half up to e4;
data (uncovered KB) × per_mb / 102400; an SMS per_message / 100.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telcost.addons.models import CustomerAddon
from telcost.core.cycles import next_cycle
from telcost.customers.rate_plans import rate_plan_parse
from telcost.jobs.models import Job
from telcost.usage.billing.simulation import plan_simulation_run, usage_e4_by_device
from telcost.usage.models import CDR, CycleTotals, SubscriptionTotal, UsageTotal
from tests.factories import CustomerFactory, DeviceFactory, MembershipFactory, RatePlanFactory
from tests.usage.cost_control.helpers import OCT, calculate, october, plan
from tests.usage.helpers import NO_BUNDLE, SEPT, add_cdr, plan_with

pytestmark = pytest.mark.django_db

JAN = dt.date(2026, 1, 1)
URL = "/api/customers/{}/plan-simulations"


def simulate(api_client, user, customer, month: str = "2026-09", plans=None):
    body = {"month": month} if plans is None else {"month": month, "rate_plans": plans}
    return api_client(user).post(URL.format(customer.pk), body)


def job_result(drain_jobs, answer) -> dict:
    assert answer.status_code == 202, answer.content
    drain_jobs()
    job = Job.objects.get(pk=answer.json()["job_id"])
    assert job.kind == "plan_simulation"
    assert job.status == Job.Status.COMPLETED, job.error
    return job.result


def snapshot(customer) -> tuple:
    """Everything a simulation must leave as it was: the CDRs' costs and the month's totals."""
    return (
        sorted(CDR.objects.filter(customer=customer).values_list("pk", "cost")),
        sorted(UsageTotal.objects.filter(customer=customer).values_list("device_id", "cost")),
        sorted(
            SubscriptionTotal.objects.filter(customer=customer).values_list("device_id", "cost")
        ),
        list(CycleTotals.objects.filter(customer=customer).values_list("version", "total_cost")),
    )


# --- hand-computed months ------------------------------------------------------------------------


def test_a_voice_call_partly_in_the_bundle(api_client, staff_user, drain_jobs):
    # "small": 2 bundle minutes (120 s) nationally, fee 5.00; "bare": no bundle, fee 2.00. Both
    # SPEC's voice prices: setup 0.05, 60 s then per second, 0.10 a minute.
    plan("small", "5.00", bundle={**NO_BUNDLE, "voice_minutes": 2, "zones": ["national"]})
    bare = plan("bare", "2.00", bundle=NO_BUNDLE)
    customer = CustomerFactory(kind="rateplan", rate_plan=bare)
    talker = DeviceFactory(customer=customer, msisdn="31611111111", activated_on=JAN)
    DeviceFactory(customer=customer, msisdn="31622222222", activated_on=JAN)  # fees only
    at = dt.datetime(2026, 9, 3, 9, 0, tzinfo=dt.UTC)
    add_cdr(customer, talker, duration_s=90, at=at)
    add_cdr(customer, talker, duration_s=100, at=at + dt.timedelta(hours=1))
    calculate(customer, SEPT)
    before = snapshot(customer)

    result = job_result(drain_jobs, simulate(api_client, staff_user, customer, plans=["small"]))
    # small: call 1, 90 s: all 90 covered (30 s left) → 3,000,000 / 6000 = 0.0500.
    #        call 2, 100 s: 30 covered, 70 not → (3,000,000 + 70 × 100,000) / 6000 = 1666.67
    #        → 0.1667. Usage 0.2167; fees 2 × 5.00 = 10.00; total 10.2167.
    # Current (bare): (3,000,000 + 9,000,000) / 6000 = 0.2000 and (3,000,000 + 10,000,000) /
    #        6000 = 2166.67 → 0.2167; usage 0.4167 + fees 4.00 = 4.4167.
    assert result == {
        "cycle_start": "2026-09-01",
        "current_plan": "bare",
        "current_total": "4.4167",
        "data_boost_mb": 0,
        "plans": [
            {
                "code": "small",
                "usage_cost": "0.2167",
                "subscription_cost": "10.0000",
                "total": "10.2167",
                "error": None,
            }
        ],
        "best_plan": "small",
        "best_total": "10.2167",
        "savings": "-5.8000",
        "devices": [
            # 0.2167 + 5.00; the current 0.4167 + 2.00.
            {
                "msisdn": "31611111111",
                "current_cost": "2.4167",
                "best_plan": "small",
                "best_cost": "5.2167",
            },
            {
                "msisdn": "31622222222",
                "current_cost": "2.0000",
                "best_plan": "small",
                "best_cost": "5.0000",
            },
        ],
    }
    assert snapshot(customer) == before  # nothing written: no CDR cost, no totals


def test_a_data_boost_widens_every_simulated_bundle(api_client, staff_user, drain_jobs):
    # "boosted": 1 MB of data in the bundle, 1.00 per MB by the 100 KB, fee 1.00; "metered": no
    # bundle, the same price, fee 0.50. The customer has a 1 MB data boost active in September.
    data = {"increment_kb": 100, "per_mb": {"national": "1.00", "eu": "1.00"}}
    plan("boosted", "1.00", bundle={**NO_BUNDLE, "data_mb": 1, "zones": ["national"]}, data=data)
    plan("metered", "0.50", bundle=NO_BUNDLE, data=data)
    customer = CustomerFactory(kind="standard")
    phone = DeviceFactory(customer=customer, msisdn="31633333333", activated_on=JAN)
    add_cdr(customer, phone, record_type="data", volume_kb=3072, provider_cost="4.0000")
    CustomerAddon.objects.create(
        customer=customer,
        addon_type="data_boost",
        status="active",
        data_mb=1,
        activated_at=dt.datetime(2026, 8, 20, tzinfo=dt.UTC),
    )
    calculate(customer, SEPT)

    result = job_result(drain_jobs, simulate(api_client, staff_user, customer))
    # 3072 KB is billed as 3100 KB (31 × 100). boosted: (1 + 1 boost) × 1024 = 2048 KB covered,
    # 1052 KB × 1,000,000 / 102400 = 10273.4 → 1.0273 (without the boost it would be 2.0273);
    # + fee 1.00 = 2.0273. metered has no data of its own, but the boost is the customer's and
    # counts in any plan's bundle zones (SPEC "Rating"): 1024 KB covered, 2076 KB × 1,000,000 /
    # 102400 = 20273.4 → 2.0273 + 0.50 = 2.5273. A standard customer: its current total is the
    # provider's 4.0000, no fee.
    assert result["data_boost_mb"] == 1
    assert result["current_plan"] is None
    assert result["current_total"] == "4.0000"
    assert result["plans"] == [
        {
            "code": "boosted",
            "usage_cost": "1.0273",
            "subscription_cost": "1.0000",
            "total": "2.0273",
            "error": None,
        },
        {
            "code": "metered",
            "usage_cost": "2.0273",
            "subscription_cost": "0.5000",
            "total": "2.5273",
            "error": None,
        },
    ]
    assert (result["best_plan"], result["best_total"], result["savings"]) == (
        "boosted",
        "2.0273",
        "1.9727",
    )
    assert result["devices"] == [
        {
            "msisdn": "31633333333",
            "current_cost": "4.0000",
            "best_plan": "boosted",
            "best_cost": "2.0273",
        }
    ]


def test_a_tie_goes_to_the_first_code_in_alphabetical_order(api_client, staff_user, drain_jobs):
    # zulu: fee 1.00, SMS 0.10; alpha: fee 0.50, SMS 0.20; neither has a bundle. Five national
    # SMS: zulu 1.00 + 5 × 0.10 = 1.50, alpha 0.50 + 5 × 0.20 = 1.50: a tie, for the month and
    # for the device. zulu is made first and named first: alpha still wins.
    zulu = plan("zulu", "1.00", bundle=NO_BUNDLE, sms={"per_message": {"national": "0.10"}})
    plan("alpha", "0.50", bundle=NO_BUNDLE, sms={"per_message": {"national": "0.20"}})
    customer = CustomerFactory(kind="rateplan", rate_plan=zulu)
    phone = DeviceFactory(customer=customer, msisdn="31644444444", activated_on=JAN)
    for _ in range(5):
        add_cdr(customer, phone, record_type="sms")
    calculate(customer, SEPT)

    result = job_result(
        drain_jobs, simulate(api_client, staff_user, customer, plans=["zulu", "alpha"])
    )
    assert [(p["code"], p["total"]) for p in result["plans"]] == [
        ("alpha", "1.5000"),
        ("zulu", "1.5000"),
    ]
    assert (result["current_plan"], result["current_total"]) == ("zulu", "1.5000")
    assert (result["best_plan"], result["best_total"], result["savings"]) == (
        "alpha",
        "1.5000",
        "0.0000",
    )
    assert [(d["best_plan"], d["best_cost"]) for d in result["devices"]] == [("alpha", "1.5000")]


def test_a_month_of_devices_without_cdrs_costs_their_fees(api_client, staff_user, drain_jobs):
    # Fees only. Active in September: "early" (since January) and "leaving" (deactivated on
    # 1 September: active on the cycle's first day). Not: "gone" (deactivated 31 August) and
    # "later" (activated 1 October). biz 12.50 (the customer's) against flex 8.00.
    biz = plan("biz", "12.50")
    plan("flex", "8.00")
    customer = CustomerFactory(kind="rateplan", rate_plan=biz)
    DeviceFactory(customer=customer, msisdn="31655555551", activated_on=JAN)
    DeviceFactory(customer=customer, msisdn="31655555552", activated_on=JAN, deactivated_on=SEPT)
    DeviceFactory(
        customer=customer,
        msisdn="31655555553",
        activated_on=JAN,
        deactivated_on=dt.date(2026, 8, 31),
    )
    DeviceFactory(customer=customer, msisdn="31655555554", activated_on=dt.date(2026, 10, 1))
    calculate(customer, SEPT)

    result = job_result(drain_jobs, simulate(api_client, staff_user, customer))
    # Two fees: biz 25.00 (the calculated total), flex 16.00, saving 9.00.
    assert result["current_total"] == "25.0000"
    assert [
        (p["code"], p["usage_cost"], p["subscription_cost"], p["total"]) for p in result["plans"]
    ] == [
        ("biz", "0.0000", "25.0000", "25.0000"),
        ("flex", "0.0000", "16.0000", "16.0000"),
    ]
    assert (result["best_plan"], result["savings"]) == ("flex", "9.0000")
    assert result["devices"] == [
        {
            "msisdn": msisdn,
            "current_cost": "12.5000",
            "best_plan": "flex",
            "best_cost": "8.0000",
        }
        for msisdn in ("31655555551", "31655555552")
    ]


def test_a_standard_customer_holds_its_provider_costs_against_a_plan(
    api_client, staff_user, drain_jobs
):
    # The provider charged 0.50 for a 30 s national call and 0.40 for an SMS abroad: 0.90, no
    # fee. SPEC's plan (biz-2026, fee 12.50, 300 bundle minutes nationally): the call is billed
    # 60 s, all in the bundle, so only its setup 0.05; the SMS is outside the bundle's zones,
    # 0.25. Usage 0.30 + fee 12.50 = 12.80: 11.90 more than now.
    RatePlanFactory()
    customer = CustomerFactory(kind="standard")
    phone = DeviceFactory(customer=customer, msisdn="31666666666", activated_on=JAN)
    add_cdr(customer, phone, duration_s=30, provider_cost="0.5000")
    add_cdr(customer, phone, record_type="sms", zone="international", provider_cost="0.4000")
    calculate(customer, SEPT)

    result = job_result(drain_jobs, simulate(api_client, staff_user, customer))
    assert result["current_plan"] is None
    assert result["current_total"] == "0.9000"
    assert result["plans"] == [
        {
            "code": "biz-2026",
            "usage_cost": "0.3000",
            "subscription_cost": "12.5000",
            "total": "12.8000",
            "error": None,
        }
    ]
    assert (result["best_total"], result["savings"]) == ("12.8000", "-11.9000")
    assert result["devices"] == [
        {
            "msisdn": "31666666666",
            "current_cost": "0.9000",
            "best_plan": "biz-2026",
            "best_cost": "12.8000",
        }
    ]


def test_a_plan_without_a_price_for_a_zone_used_is_reported_and_never_best(
    api_client, staff_user, drain_jobs
):
    # "homeonly" prices national calls only (0.01 a minute, fee 0.10: it would be cheapest); the
    # month has a call in the EU. So homeonly is reported with its error and null figures, and
    # the best is biz-2026: a 60 s EU call in its bundle costs its setup 0.05, + fee 12.50.
    home = plan("homeonly", "0.10", voice={"per_minute": {"national": "0.01"}})
    RatePlanFactory()
    customer = CustomerFactory(kind="standard")
    phone = DeviceFactory(customer=customer, msisdn="31677777777", activated_on=JAN)
    add_cdr(customer, phone, duration_s=60, zone="eu", provider_cost="1.0000")
    calculate(customer, SEPT)

    result = job_result(
        drain_jobs, simulate(api_client, staff_user, customer, plans=[home.code, "biz-2026"])
    )
    assert result["plans"] == [
        {
            "code": "biz-2026",
            "usage_cost": "0.0500",
            "subscription_cost": "12.5000",
            "total": "12.5500",
            "error": None,
        },
        {
            "code": "homeonly",
            "usage_cost": None,
            "subscription_cost": None,
            "total": None,
            "error": "rate plan homeonly has no price for voice in zone 'eu'",
        },
    ]
    assert (result["best_plan"], result["best_total"]) == ("biz-2026", "12.5500")
    assert result["devices"][0]["best_plan"] == "biz-2026"


def test_when_no_plan_can_price_the_month_there_is_no_best(api_client, staff_user, drain_jobs):
    home = plan("homeonly", "0.10", voice={"per_minute": {"national": "0.01"}})
    customer = CustomerFactory(kind="standard")
    phone = DeviceFactory(customer=customer, msisdn="31688888888", activated_on=JAN)
    add_cdr(customer, phone, duration_s=60, zone="international", provider_cost="1.0000")
    calculate(customer, SEPT)

    result = job_result(drain_jobs, simulate(api_client, staff_user, customer, plans=[home.code]))
    assert result["plans"][0]["error"].startswith("rate plan homeonly has no price")
    assert (result["best_plan"], result["best_total"], result["savings"]) == (None, None, None)
    assert result["devices"] == [
        {"msisdn": "31688888888", "current_cost": "1.0000", "best_plan": None, "best_cost": None}
    ]


def test_a_plan_is_simulated_by_its_version_valid_at_the_cycles_start(
    api_client, staff_user, drain_jobs
):
    # "grows": fee 1.00 from 2000-01, 3.00 from 2026-09-01, 9.00 from 2026-10-01. September's
    # simulation charges 3.00 for the one device; a plan whose first version starts in October
    # has none for September: reported, not best.
    from telcost.customers.models import RatePlanVersion

    grows = plan("grows", "1.00", bundle=NO_BUNDLE)
    first = grows.versions.get().definition
    for valid_from, fee in ((SEPT, "3.00"), (OCT, "9.00")):
        document = {**first, "monthly_fee": fee}
        RatePlanVersion.objects.create(
            rate_plan=grows, valid_from=valid_from, definition=document, monthly_fee=Decimal(fee)
        )
    late = plan("late", "0.01")
    late.versions.update(valid_from=OCT)
    customer = CustomerFactory(kind="standard")
    DeviceFactory(customer=customer, msisdn="31699999999", activated_on=JAN)
    calculate(customer, SEPT)

    result = job_result(
        drain_jobs, simulate(api_client, staff_user, customer, plans=["grows", "late"])
    )
    assert result["plans"][0]["total"] == "3.0000"
    assert result["plans"][1]["error"] == (
        "rate plan late has no version for 2026-09: its first version holds from 2026-10"
    )
    assert result["best_plan"] == "grows"
    # "every plan" is every plan with a version valid at the cycle's start: not "late".
    every = job_result(drain_jobs, simulate(api_client, staff_user, customer))
    assert [p["code"] for p in every["plans"]] == ["grows"]


# --- the customer's own plan gives exactly its calculated totals ---------------------------------


def _own_plan_matches_totals(customer, cycle_start: dt.date) -> None:
    result = plan_simulation_run(
        customer=customer, cycle_start=cycle_start, codes=[customer.rate_plan.code]
    )
    header = CycleTotals.objects.get(customer=customer, cycle_start=cycle_start)
    own = result["plans"][0]
    assert own["error"] is None
    assert own["total"] == result["current_total"] == str(header.total_cost)
    assert own["subscription_cost"] == str(header.subscription_cost)
    assert result["savings"] == "0.0000"
    for device in result["devices"]:
        assert device["best_cost"] == device["current_cost"], device


def test_simulating_the_own_plan_of_the_hand_computed_october_gives_its_totals():
    # tests/usage/cost_control/helpers.py: usage 0.98 + fees 62.50 = 63.48, with a data boost,
    # devices deactivated in and before the month, one without CDRs.
    month = october()
    customer = month["customer"]
    calculate(customer)
    result = plan_simulation_run(
        customer=customer, cycle_start=OCT, codes=[customer.rate_plan.code]
    )
    assert result["current_total"] == result["plans"][0]["total"] == "63.4800"
    assert [(d["msisdn"], d["best_cost"]) for d in result["devices"]] == [
        ("31600000001", "13.0000"),  # 0.15 + 0.25 + 0.08 + 0.02 + 12.50
        ("31600000002", "12.5800"),  # 0.08 + 12.50
        ("31600000003", "12.5000"),
        ("31600000004", "12.6500"),  # 0.15 + 12.50
        ("31600000005", "12.7500"),  # 0.25 + 12.50
    ]
    _own_plan_matches_totals(customer, OCT)


CDR_SHAPES = st.tuples(
    st.integers(0, 2),  # device
    st.sampled_from(["voice", "sms", "data"]),
    st.sampled_from(["national", "eu", "international"]),
    st.integers(0, 400),  # duration_s
    st.integers(0, 3000),  # volume_kb
    st.integers(0, 3 * 24 * 60),  # minute of the month (ties in time are ordered by id)
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cdrs=st.lists(CDR_SHAPES, max_size=25),
    voice_minutes=st.integers(0, 5),
    sms=st.integers(0, 3),
    data_mb=st.integers(0, 3),
    boost_mb=st.integers(0, 2),
)
def test_property_simulating_the_own_plan_gives_exactly_the_calculated_totals(
    cdrs, voice_minutes, sms, data_mb, boost_mb
):
    with transaction.atomic():
        definition = plan_with(
            bundle={
                "voice_minutes": voice_minutes,
                "sms": sms,
                "data_mb": data_mb,
                "zones": ["national", "eu"],
            },
            voice={"initial_increment_s": 30, "subsequent_increment_s": 10},
        )
        own = RatePlanFactory(code=definition["code"], definition=definition)
        customer = CustomerFactory(kind="rateplan", rate_plan=own)
        phones = [
            DeviceFactory(customer=customer, activated_on=JAN),
            DeviceFactory(customer=customer, activated_on=JAN),
            DeviceFactory(customer=customer, activated_on=JAN, deactivated_on=SEPT),
        ]
        DeviceFactory(customer=customer, activated_on=JAN)  # fees only
        if boost_mb:
            CustomerAddon.objects.create(
                customer=customer,
                addon_type="data_boost",
                status="active",
                data_mb=boost_mb,
                activated_at=dt.datetime(2026, 9, 2, tzinfo=dt.UTC),
            )
        start = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
        for n, (device, record_type, zone, duration_s, volume_kb, minute) in enumerate(cdrs):
            add_cdr(
                customer,
                phones[device],
                record_type=record_type,
                zone=zone,
                duration_s=duration_s if record_type == "voice" else 0,
                volume_kb=volume_kb if record_type == "data" else 0,
                at=start + dt.timedelta(minutes=minute),
                external_id=f"p{n:03d}",
            )
        calculate(customer, SEPT)
        _own_plan_matches_totals(customer, SEPT)
        # Several plans in one statement (their figures computed again after the sort) price
        # each CDR as that plan alone does (computed before it, as rating does).
        other = plan_with(
            bundle={"voice_minutes": sms, "sms": voice_minutes, "data_mb": 1, "zones": ["eu"]},
            data={"increment_kb": 7},
            sms={"per_message": {"national": "0.03", "eu": "0.05", "international": "0.7"}},
        )
        plans = [rate_plan_parse(definition), rate_plan_parse(other)]
        month = {"customer_id": customer.pk, "cycle_start": SEPT, "data_boost_mb": boost_mb}
        together = usage_e4_by_device(plans, **month)
        alone = [usage_e4_by_device([p], **month) for p in plans]
        assert together == {
            device: [alone[0][device][0], alone[1][device][0]] for device in together
        }
        transaction.set_rollback(True)


# --- who may, and bad input: nothing dispatched --------------------------------------------------


@pytest.fixture
def calculated(customer):
    """The shared `customer` (standard) with a calculated September and SPEC's plan to try."""
    RatePlanFactory()
    phone = DeviceFactory(customer=customer, activated_on=JAN)
    add_cdr(customer, phone, record_type="sms", provider_cost="0.1000")
    calculate(customer, SEPT)
    return customer


def test_staff_and_managers_start_a_simulation(api_client, calculated, staff_user, manager):
    for user in (staff_user, manager):
        answer = simulate(api_client, user, calculated, plans=["biz-2026"])
        assert answer.status_code == 202, answer.content
        assert set(answer.json()) == {"job_id", "status_url", "joined"}
    # The same request while the first is pending joins it.
    assert answer.json()["joined"] is True
    assert Job.objects.filter(kind="plan_simulation").count() == 1


def test_a_manager_of_the_partner_may_simulate(api_client, calculated):
    from tests.factories import UserFactory

    partner = CustomerFactory(name="Partner")
    calculated.partner = partner
    calculated.save()
    user = UserFactory()
    MembershipFactory(user=user, customer=partner, role="manager")
    assert simulate(api_client, user, calculated).status_code == 202


def test_a_viewer_may_not_and_an_outsider_sees_no_customer(
    api_client, calculated, viewer, outsider
):
    answer = simulate(api_client, viewer, calculated)
    assert (answer.status_code, answer.json()) == (403, {"error": "Unauthorized"})
    answer = simulate(api_client, outsider, calculated)
    assert (answer.status_code, answer.json()) == (404, {"error": "Customer not found"})
    assert simulate(api_client, outsider, calculated, month="2099-01").status_code == 404
    assert not Job.objects.exists()


def _future_month() -> str:
    return f"{next_cycle(timezone.localdate().replace(day=1)):%Y-%m}"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {"month": "2026-09", "rate_plans": [f"p{n:02d}" for n in range(11)]},
            400,
            "rate_plans: choose at most 10 plans, got 11",
        ),
        (
            {"month": "2026-09", "rate_plans": ["biz-2026", "nope", "also-nope"]},
            400,
            "rate_plans: no such rate plan: also-nope, nope",
        ),
        (
            {"month": "2026-09", "rate_plans": []},
            400,
            "rate_plans: choose at least one plan, or leave it out for all",
        ),
        ({"month": "FUTURE"}, 400, "month: FUTURE is in the future"),
        ({"month": "1999-12"}, 400, "month: 1999-12 is before 2000-01"),
        ({"month": "2026-13"}, 400, "month: not a valid date: '2026-13'"),
        ({"month": "sept"}, 400, "month: month must be YYYY-MM, got 'sept'"),
        (
            {"month": "2026-08", "rate_plans": ["biz-2026"]},
            409,
            "2026-08 has not been calculated yet: recalculate it first",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_dispatched(
    api_client, calculated, staff_user, body, status, error
):
    for n in range(11):
        plan(f"p{n:02d}", "1.00")
    future = _future_month()
    if body["month"] == "FUTURE":
        body = {"month": future}
    client = api_client(staff_user)
    client.cookies["django_language"] = "en"  # the months' messages are in the reader's language
    answer = client.post(URL.format(calculated.pk), body)
    assert answer.status_code == status, answer.content
    assert answer.json() == {"error": error.replace("FUTURE", future)}
    assert not Job.objects.exists()


def test_every_plan_when_there_are_more_than_ten_asks_to_choose(api_client, calculated, staff_user):
    for n in range(10):
        plan(f"p{n:02d}", "1.00")  # with biz-2026: eleven
    answer = simulate(api_client, staff_user, calculated)
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": "there are 11 rate plans: choose at most 10 in rate_plans"},
    )
    assert not Job.objects.exists()
    # Ten named of them is a choice.
    chosen = [f"p{n:02d}" for n in range(10)]
    assert simulate(api_client, staff_user, calculated, plans=chosen).status_code == 202


def test_a_body_that_is_not_the_shape_is_a_400(api_client, calculated, staff_user):
    client = api_client(staff_user)
    for body in ({}, {"month": "2026-09", "rate_plans": "biz-2026"}, {"month": 202609}):
        answer = client.post(URL.format(calculated.pk), body)
        assert answer.status_code == 400, (body, answer.content)
    assert not Job.objects.exists()
