"""The values alert rules compare, against the hand-computed October (helpers.py): each metric
for the customer, each device and each cost center, a device that moves cost center on the day
summer time ends, a data boost, and a month with devices and no CDRs."""

import datetime as dt
from decimal import Decimal

import pytest

from telcost.addons.models import CustomerAddon
from telcost.customers.models import Customer
from telcost.usage.billing.alert_metrics import alert_values
from tests.factories import CustomerFactory, DeviceFactory
from tests.usage.cost_control.helpers import OCT, calculate, cdr, local, october

pytestmark = pytest.mark.django_db

SCOPES = {"customer", "cost_center", "device"}


def values(customer, cycle_start=OCT) -> dict:
    customer = Customer.objects.select_related("rate_plan").get(pk=customer.pk)
    found = alert_values(customer=customer, cycle_start=cycle_start, scopes=SCOPES)
    return {
        scope: {
            target: {str(metric): str(value) for metric, value in metrics.items()}
            for target, metrics in targets.items()
        }
        for scope, targets in found.items()
    }


def figures(total, roaming, data_mb, out_of_bundle) -> dict:
    return {
        "total_cost": total,
        "roaming_cost": roaming,
        "data_mb": data_mb,
        "out_of_bundle_cost": out_of_bundle,
    }


@pytest.fixture
def month():
    made = october()
    calculate(made["customer"])
    return made


def test_each_metric_of_the_customer_its_devices_and_cost_centers(month):
    found = values(month["customer"])
    assert found["customer"] == {"": figures("63.4800", "0.3300", "3.0000", "0.7300")}
    assert found["device"] == {
        "31600000001": figures("13.0000", "0.0000", "3.0000", "0.5000"),
        "31600000002": figures("12.5800", "0.0800", "0.0000", "0.0800"),
        "31600000003": figures("12.5000", "0.0000", "0.0000", "0.0000"),
        "31600000004": figures("12.6500", "0.0000", "0.0000", "0.1500"),
        "31600000005": figures("12.7500", "0.2500", "0.0000", "0.0000"),
    }
    # A's call at 23:30 on the 24th is SALES's; its call at 00:30 on the 25th (still 22:30 UTC
    # on the 24th) and its sms at 23:30 on the 25th (after the clocks went back) are OPS's.
    assert found["cost_center"] == {
        "SALES": figures("12.7500", "0.0800", "3.0000", "0.2500"),
        "OPS": figures("25.3300", "0.0000", "0.0000", "0.3300"),
    }


def test_cost_centers_are_exactly_the_chargeback(month, api_client, staff_user):
    chargeback = (
        api_client(staff_user)
        .get(f"/api/customers/{month['customer'].pk}/cost-centers/totals?month=2026-10")
        .json()
    )
    found = values(month["customer"])["cost_center"]
    for place in chargeback["cost_centers"]:
        expected = place["total_cost"]
        assert found.get(place["code"], {"total_cost": "0.0000"})["total_cost"] == expected


def test_a_cdr_at_the_hour_that_happens_twice_goes_by_its_local_date(month):
    # 02:30 on the 25th happens twice; both are the 25th, so both are OPS's.
    a = month["devices"]["A"]
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # 02:30 CEST
    second = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # 02:30 CET
    for at in (first, second):
        cdr(month["customer"], a, at, "voice", "0.1000", duration_s=60, zone="eu")
    calculate(month["customer"])
    found = values(month["customer"])
    # Each call: setup 0.05 + 1 minute × 0.10; eu is roaming and a bundle zone (no minutes).
    assert found["cost_center"]["OPS"]["roaming_cost"] == "0.3000"
    assert found["cost_center"]["SALES"]["roaming_cost"] == "0.0800"
    assert found["customer"][""]["roaming_cost"] == "0.6300"


def test_the_data_boost_covers_its_mb_and_only_the_rest_is_out_of_bundle(month):
    # With the boost: 3072 KB, 2048 covered (1 MB bundle + 1 MB boost): 1024 KB × 0.02/MB = 0.02.
    assert values(month["customer"])["device"]["31600000001"]["out_of_bundle_cost"] == "0.5000"
    CustomerAddon.objects.filter(customer=month["customer"]).delete()
    calculate(month["customer"])
    found = values(month["customer"])
    # Without it 2048 KB are out of the bundle: 0.04. The volume is the same either way.
    assert found["device"]["31600000001"]["out_of_bundle_cost"] == "0.5200"
    assert found["device"]["31600000001"]["data_mb"] == "3.0000"
    assert found["customer"][""]["out_of_bundle_cost"] == "0.7500"
    assert found["cost_center"]["SALES"]["out_of_bundle_cost"] == "0.2700"


def test_a_month_with_devices_and_no_cdrs_is_its_fees(rated_customer):
    customer = rated_customer(name="Quiet")
    for msisdn in ("31611111111", "31622222222"):
        DeviceFactory(customer=customer, msisdn=msisdn, activated_on=dt.date(2026, 1, 1))
    calculate(customer)
    found = values(customer)
    assert found["customer"] == {"": figures("25.0000", "0.0000", "0.0000", "0.0000")}
    assert found["device"]["31611111111"] == figures("12.5000", "0.0000", "0.0000", "0.0000")
    assert found["cost_center"] == {}


def test_a_standard_customer_has_no_bundle_and_no_fees():
    customer = CustomerFactory(name="Plain")
    device = DeviceFactory(customer=customer, msisdn="31633333333")
    cdr(customer, device, local(2026, 10, 3, 12, 0), "data", "1.2345", volume_kb=1536)
    cdr(customer, device, local(2026, 10, 4, 12, 0), "voice", "2.0000", zone="international")
    calculate(customer)
    found = values(customer)
    assert found["customer"] == {"": figures("3.2345", "2.0000", "1.5000", "0.0000")}


def test_data_mb_is_rounded_half_up_to_four_places(rated_customer):
    customer = CustomerFactory(name="Bytes")
    device = DeviceFactory(customer=customer, msisdn="31644444444")
    # 1 KB = 0.0009765625 MB → 0.0010; 3 KB = 0.0029296875 → 0.0029.
    cdr(customer, device, local(2026, 10, 3, 12, 0), "data", "0", volume_kb=1)
    calculate(customer)
    assert values(customer)["customer"][""]["data_mb"] == "0.0010"
    cdr(customer, device, local(2026, 10, 3, 13, 0), "data", "0", volume_kb=2)
    calculate(customer)
    assert values(customer)["customer"][""]["data_mb"] == "0.0029"
    assert Decimal(values(customer)["device"]["31644444444"]["data_mb"]) == Decimal("0.0029")
