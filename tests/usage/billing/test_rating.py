"""Each rating rule of SPEC.md with hand-computed prices (plan: setup 0.05, 60 s then 1 s, 0.10/min
national)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from telcost.addons.models import CustomerAddon
from telcost.jobs.errors import PermanentError
from telcost.usage.billing.rating import cdrs_rate
from telcost.usage.models import CDR
from tests.factories import DeviceFactory
from tests.usage.helpers import NO_BUNDLE, SEPT, add_cdr, costs, plan_with

pytestmark = pytest.mark.django_db


def test_voice_increments_setup_fee_and_zero_duration(rated_customer):
    c = rated_customer(plan_with(bundle=NO_BUNDLE))
    exact = add_cdr(c, duration_s=60)  # 0.05 + 1 min × 0.10
    over = add_cdr(c, duration_s=61)  # 0.05 + 61/60 × 0.10 = 0.151666… → 0.1517
    short = add_cdr(c, duration_s=30)  # billed as the initial 60 s
    silent = add_cdr(c, duration_s=0)  # nothing at all, not even the setup fee
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(exact, over, short, silent) == ["0.1500", "0.1517", "0.1500", "0.0000"]


def test_a_call_straddling_the_end_of_the_voice_bundle(rated_customer):
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "voice_minutes": 2}))
    device = DeviceFactory(customer=c)
    first = add_cdr(c, device, duration_s=45)  # billable 60, all covered: setup only
    straddle = add_cdr(
        c, device, duration_s=100
    )  # 60 covered, 40 s paid: 0.05 + 40/60 × 0.10 = 0.1167
    after = add_cdr(c, device, duration_s=10)  # bundle gone: 0.15
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(first, straddle, after) == ["0.0500", "0.1167", "0.1500"]


def test_international_usage_is_outside_the_bundle_and_does_not_use_it(rated_customer):
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "voice_minutes": 1}))
    device = DeviceFactory(customer=c)
    abroad = add_cdr(c, device, zone="international", duration_s=60)  # 0.05 + 0.80
    home = add_cdr(c, device, duration_s=60)  # still covered by the untouched bundle
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(abroad, home) == ["0.8500", "0.0500"]


def test_same_started_at_is_ordered_by_external_id(rated_customer):
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "voice_minutes": 1}))
    device = DeviceFactory(customer=c)
    at = dt.datetime(2026, 9, 5, 9, 0, tzinfo=dt.UTC)
    second = add_cdr(c, device, duration_s=60, at=at, external_id="b-call")
    first = add_cdr(c, device, duration_s=60, at=at, external_id="a-call")
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(first, second) == ["0.0500", "0.1500"]


def test_each_device_has_its_own_bundle(rated_customer):
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "voice_minutes": 1}))
    one, two = DeviceFactory(customer=c), DeviceFactory(customer=c)
    calls = [add_cdr(c, one, duration_s=60), add_cdr(c, two, duration_s=60)]
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(*calls) == ["0.0500", "0.0500"]


def test_sms_free_while_the_bundle_lasts_and_international_always_paid(rated_customer):
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "sms": 2}))
    device = DeviceFactory(customer=c)
    texts = [add_cdr(c, device, record_type="sms") for _ in range(3)]
    abroad = add_cdr(c, device, record_type="sms", zone="international")
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(*texts, abroad) == ["0.0000", "0.0000", "0.0800", "0.2500"]


def test_data_rounds_up_to_the_increment(rated_customer):
    c = rated_customer(plan_with(bundle=NO_BUNDLE))
    just_over = add_cdr(c, record_type="data", volume_kb=101)  # 200 KB: 200/1024 × 0.02 = 0.0039
    exact = add_cdr(c, record_type="data", volume_kb=100)  # 100/1024 × 0.02 = 0.001953… → 0.0020
    nothing = add_cdr(c, record_type="data", volume_kb=0)
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(just_over, exact, nothing) == ["0.0039", "0.0020", "0.0000"]


def test_data_straddling_the_allowance(rated_customer):
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "data_mb": 1}, data={"increment_kb": 1}))
    device = DeviceFactory(customer=c)
    inside = add_cdr(c, device, record_type="data", volume_kb=1000)
    straddle = add_cdr(
        c, device, record_type="data", volume_kb=300
    )  # 24 KB covered, 276/1024 × 0.02 = 0.0054
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(inside, straddle) == ["0.0000", "0.0054"]


def test_a_record_bigger_than_the_whole_allowance_leaves_nothing_for_later_ones(rated_customer):
    # Rating caps what one CDR takes from the bundle at allowance + 1 (an INTEGER running sum):
    # the CDRs after a huge one must still find the bundle empty, in any size.
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "data_mb": 1}, data={"increment_kb": 1}))
    device = DeviceFactory(customer=c)
    small = add_cdr(c, device, record_type="data", volume_kb=24)
    huge = add_cdr(
        c, device, record_type="data", volume_kb=3_000_000_000
    )  # ~3 TB: beyond any INTEGER
    after = [add_cdr(c, device, record_type="data", volume_kb=1024) for _ in range(3)]
    cdrs_rate(customer=c, cycle_start=SEPT)
    # 1000 KB of the huge one covered; (3e9 - 1000) / 1024 × 0.02
    assert costs(small, huge, *after) == ["0.0000", "58593.7305", "0.0200", "0.0200", "0.0200"]


def test_a_bundle_too_big_for_an_integer_sum_still_rates_exactly(rated_customer):
    c = rated_customer(
        plan_with(bundle={**NO_BUNDLE, "data_mb": 3_000_000}, data={"increment_kb": 1})
    )
    device = DeviceFactory(customer=c)
    first = add_cdr(
        c, device, record_type="data", volume_kb=3_000_000_000
    )  # 3,072,000,000 KB allowance
    straddle = add_cdr(c, device, record_type="data", volume_kb=72_001_024)  # 72,000,000 covered
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(first, straddle) == ["0.0000", "0.0200"]


def test_a_data_boost_active_in_the_cycle_raises_the_allowance(rated_customer):
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "data_mb": 0}, data={"increment_kb": 1}))
    device = DeviceFactory(customer=c)
    usage = add_cdr(c, device, record_type="data", volume_kb=1000)
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(usage) == ["0.0195"]  # 1000/1024 × 0.02
    # Activated in August, cancelled on 2 September: it was active at a moment of September.
    CustomerAddon.objects.create(
        customer=c,
        addon_type="data_boost",
        status="cancelled",
        data_mb=1,
        activated_at=dt.datetime(2026, 8, 20, tzinfo=dt.UTC),
        cancelled_at=dt.datetime(2026, 9, 2, tzinfo=dt.UTC),
    )
    result = cdrs_rate(customer=c, cycle_start=SEPT)
    assert result["data_boost_mb"] == 1 and costs(usage) == ["0.0000"]


def test_a_boost_that_ended_before_the_cycle_or_failed_does_not_count(rated_customer):
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "data_mb": 0}, data={"increment_kb": 1}))
    usage = add_cdr(c, record_type="data", volume_kb=1000)
    CustomerAddon.objects.create(
        customer=c,
        addon_type="data_boost",
        status="cancelled",
        data_mb=1,
        activated_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
        cancelled_at=dt.datetime(2026, 8, 31, 21, 0, tzinfo=dt.UTC),
    )  # 23:00 Amsterdam
    CustomerAddon.objects.create(
        customer=c, addon_type="data_boost", status="failed", data_mb=1, activated_at=timezone.now()
    )
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(usage) == ["0.0195"]


def test_rounding_is_half_up_at_the_fifth_decimal(rated_customer):
    c = rated_customer(
        plan_with(
            bundle=NO_BUNDLE,
            sms={"per_message": {"national": "0.00005", "eu": "0.00015", "international": "0.25"}},
        )
    )
    half = add_cdr(c, record_type="sms")
    one_and_half = add_cdr(c, record_type="sms", zone="eu")
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(half, one_and_half) == ["0.0001", "0.0002"]


def test_a_zone_missing_from_the_plan_fails_naming_it_and_changes_nothing(rated_customer):
    plan = plan_with(bundle=NO_BUNDLE)
    del plan["voice"]["per_minute"]["international"]
    c = rated_customer(plan)
    home = add_cdr(c, duration_s=60)
    add_cdr(c, zone="international", duration_s=60)
    CDR.objects.filter(pk=home.pk).update(cost=Decimal("9.9999"))
    with pytest.raises(PermanentError, match="voice in zone 'international'"):
        cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(home) == ["9.9999"]


def test_rating_twice_gives_the_same_costs(rated_customer):
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "voice_minutes": 2}))
    device = DeviceFactory(customer=c)
    calls = [add_cdr(c, device, duration_s=d) for d in (45, 100, 10)]
    cdrs_rate(customer=c, cycle_start=SEPT)
    once = costs(*calls)
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(*calls) == once


def test_other_months_and_customers_are_untouched(rated_customer):
    c = rated_customer(plan_with(bundle=NO_BUNDLE))
    other = rated_customer(plan_with(bundle=NO_BUNDLE))
    october = add_cdr(c, duration_s=60)
    CDR.objects.filter(pk=october.pk).update(cycle_start=dt.date(2026, 10, 1))
    theirs = add_cdr(other, duration_s=60)
    cdrs_rate(customer=c, cycle_start=SEPT)
    assert costs(october, theirs) == ["None", "None"]


def test_cdr_pages_leave_room_for_rating_updates_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("fillfactor is a PostgreSQL storage setting")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'usage_cdr'")
        assert "fillfactor=50" in (cursor.fetchone()[0] or [])


@pytest.mark.django_db(transaction=True)
def test_rating_in_parallel_parts_prices_as_one_statement_does(rated_customer, settings):
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: it always rates in one statement")
    settings.RATING_PARALLEL_PARTS = 3
    c = rated_customer(plan_with(bundle={**NO_BUNDLE, "voice_minutes": 2}))
    # Five devices over three parts (device id modulo 3), each straddling the end of its own bundle.
    trios = [
        [add_cdr(c, device, duration_s=d) for d in (45, 100, 10)]
        for device in [DeviceFactory(customer=c) for _ in range(5)]
    ]
    result = cdrs_rate(customer=c, cycle_start=SEPT)
    assert (result["parts"], result["repriced"]) == (3, 15)
    assert [costs(*trio) for trio in trios] == [["0.0500", "0.1167", "0.1500"]] * 5
    assert cdrs_rate(customer=c, cycle_start=SEPT)["repriced"] == 0
    # Inside a caller's transaction the parts could not see its rows: one statement there.
    CDR.objects.filter(customer=c).update(cost=None)
    with transaction.atomic():
        result = cdrs_rate(customer=c, cycle_start=SEPT)
    assert (result["parts"], result["repriced"]) == (1, 15)
    assert [costs(*trio) for trio in trios] == [["0.0500", "0.1167", "0.1500"]] * 5


@pytest.mark.django_db(transaction=True)
def test_a_part_that_fails_fails_the_rating(rated_customer, settings, monkeypatch):
    from django.db import OperationalError, connection

    from telcost.usage.billing import rating

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: it always rates in one statement")
    settings.RATING_PARALLEL_PARTS = 2
    c = rated_customer(plan_with(bundle=NO_BUNDLE))
    add_cdr(c, duration_s=60)

    def lost_connection(sql, params):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(rating, "_rate_statement_in_own_connection", lost_connection)
    # A transient database error: the step's retry rates the whole month again.
    with pytest.raises(OperationalError):
        cdrs_rate(customer=c, cycle_start=SEPT)
