"""Reconciliation and chargeback through the API against the hand-computed October (helpers.py)."""

import datetime as dt

import pytest

from telcost.usage.models import CDR
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)
from tests.usage.cost_control.helpers import OCT, calculate, cdr, local, october

pytestmark = pytest.mark.django_db

CHARGEBACK = "/api/customers/{}/cost-centers/totals?month=2026-10"
RECONCILIATION = "/api/customers/{}/reconciliation?month=2026-10"


@pytest.fixture
def month():
    made = october()
    calculate(made["customer"])
    return made


@pytest.fixture
def datri_viewer(month):
    user = UserFactory(username="datri-viewer")
    MembershipFactory(user=user, customer=month["customer"], role="viewer")
    return user


def test_chargeback_splits_the_month_by_cost_center_on_local_dates(api_client, month, datri_viewer):
    answer = api_client(datri_viewer).get(CHARGEBACK.format(month["customer"].pk))
    assert answer.status_code == 200
    assert answer.json() == {
        "cycle_start": "2026-10-01",
        "total_cost": "63.4800",
        "cost_centers": [
            {
                "code": "IDLE",
                "name": "Nobody here",
                "devices": 0,
                "usage_cost": "0.0000",
                "subscription_cost": "0.0000",
                "total_cost": "0.0000",
                "by_type": {"voice": "0.0000", "sms": "0.0000", "data": "0.0000"},
            },
            {
                "code": "OPS",
                "name": "Operations",
                "devices": 2,
                "usage_cost": "0.3300",
                "subscription_cost": "25.0000",
                "total_cost": "25.3300",
                "by_type": {"voice": "0.2500", "sms": "0.0800", "data": "0.0000"},
            },
            {
                "code": "SALES",
                "name": "Sales",
                "devices": 2,
                "usage_cost": "0.2500",
                "subscription_cost": "12.5000",
                "total_cost": "12.7500",
                "by_type": {"voice": "0.1500", "sms": "0.0800", "data": "0.0200"},
            },
        ],
        "unassigned": {
            "devices": 2,
            "usage_cost": "0.4000",
            "subscription_cost": "25.0000",
            "total_cost": "25.4000",
            "by_type": {"voice": "0.1500", "sms": "0.2500", "data": "0.0000"},
        },
    }


def test_the_rows_add_up_exactly_to_the_months_total(api_client, month, datri_viewer):
    client = api_client(datri_viewer)
    customer = month["customer"]
    # Many CDRs with costs that do not add up in binary floating point, across the change.
    a = month["devices"]["A"]
    for minute in range(0, 240, 7):
        cdr(
            customer,
            a,
            local(2026, 10, 24, 22, 0) + dt.timedelta(minutes=minute),
            "data",
            "0.0100",
            volume_kb=333 + minute,
        )
    calculate(customer)
    chargeback = client.get(CHARGEBACK.format(customer.pk)).json()
    totals = client.get(f"/api/customers/{customer.pk}/totals?month=2026-10").json()
    rows = [*chargeback["cost_centers"], chargeback["unassigned"]]
    from decimal import Decimal

    assert sum(Decimal(row["total_cost"]) for row in rows) == Decimal(totals["total_cost"])
    assert chargeback["total_cost"] == totals["total_cost"]
    assert sum(Decimal(row["subscription_cost"]) for row in rows) == Decimal(
        totals["subscription_cost"]
    )
    for kind in ("voice", "sms", "data"):
        assert sum(Decimal(row["by_type"][kind]) for row in rows) == Decimal(
            totals["by_type"][kind]["cost"]
        )


def test_a_standard_customer_is_split_by_its_provider_costs(api_client, staff_user):
    customer = CustomerFactory()
    sales = CostCenterFactory(customer=customer, code="SALES", name="Sales")
    phone = DeviceFactory(customer=customer)
    CostCenterAssignmentFactory(device=phone, cost_center=sales, valid_from=dt.date(2026, 10, 25))
    cdr(customer, phone, local(2026, 10, 25, 0, 30), "sms", "0.1234")
    cdr(customer, phone, local(2026, 10, 24, 23, 59, 59), "sms", "0.0001")
    calculate(customer)
    answer = api_client(staff_user).get(CHARGEBACK.format(customer.pk)).json()
    assert answer["total_cost"] == "0.1235"
    assert answer["cost_centers"][0]["total_cost"] == "0.1234"
    assert answer["unassigned"]["total_cost"] == "0.0001"


def test_reconciliation_figures_and_devices_by_overcharge(api_client, month, datri_viewer):
    answer = api_client(datri_viewer).get(RECONCILIATION.format(month["customer"].pk))
    assert answer.status_code == 200
    assert answer.json() == {
        "cycle_start": "2026-10-01",
        "provider_total": "1.2300",
        "rated_total": "0.9800",
        "difference": "0.2500",
        "overcharged_total": "0.2800",
        "overcharged_records": 3,
        "unrated_records": 0,
        "devices": [
            {
                "msisdn": "31600000004",
                "provider_cost": "0.3000",
                "rated_cost": "0.1500",
                "difference": "0.1500",
                "overcharged_records": 1,
            },
            {
                "msisdn": "31600000001",
                "provider_cost": "0.6000",
                "rated_cost": "0.5000",
                "difference": "0.1000",
                "overcharged_records": 2,
            },
            {
                "msisdn": "31600000002",
                "provider_cost": "0.0800",
                "rated_cost": "0.0800",
                "difference": "0.0000",
                "overcharged_records": 0,
            },
            {
                "msisdn": "31600000005",
                "provider_cost": "0.2500",
                "rated_cost": "0.2500",
                "difference": "0.0000",
                "overcharged_records": 0,
            },
        ],
    }


def test_a_cdr_imported_after_the_calculation_waits_for_the_next_one(
    api_client, month, datri_viewer
):
    customer = month["customer"]
    cdr(customer, month["devices"]["C"], local(2026, 10, 30, 9, 0), "sms", "9.0000")
    answer = api_client(datri_viewer).get(RECONCILIATION.format(customer.pk)).json()
    assert answer["unrated_records"] == 1 and answer["provider_total"] == "1.2300"
    assert answer["overcharged_records"] == 3


def test_a_standard_customer_has_no_reconciliation(api_client, staff_user):
    customer = CustomerFactory()
    calculate(customer)
    answer = api_client(staff_user).get(RECONCILIATION.format(customer.pk))
    assert answer.status_code == 404 and "no contract" in answer.json()["error"]


@pytest.mark.parametrize("path", [CHARGEBACK, RECONCILIATION])
def test_404_before_the_month_was_calculated(api_client, staff_user, path):
    customer = october()["customer"]
    answer = api_client(staff_user).get(path.format(customer.pk))
    assert answer.status_code == 404
    assert answer.json() == {"error": "No totals calculated for this month"}


@pytest.mark.parametrize("path", [CHARGEBACK, RECONCILIATION])
@pytest.mark.parametrize(
    ("month_text", "fragment"),
    [
        ("2027-01", "2027-01"),
        ("1999-12", "1999-12"),
        ("2026-13", "2026-13"),
        ("", "month"),
        ("2026-1", "month"),
    ],
)
def test_bad_months_are_a_400(api_client, month, staff_user, path, month_text, fragment):
    url = path.format(month["customer"].pk).replace("2026-10", month_text)
    answer = api_client(staff_user).get(url)
    assert answer.status_code == 400 and "month" in answer.json()["error"]
    assert fragment in answer.json()["error"]


@pytest.mark.parametrize("path", [CHARGEBACK, RECONCILIATION])
def test_who_may_read(api_client, month, path):
    customer = month["customer"]
    url = path.format(customer.pk)
    staff = UserFactory(is_staff=True)
    viewer = UserFactory()
    MembershipFactory(user=viewer, customer=customer, role="viewer")
    manager = UserFactory()
    MembershipFactory(user=manager, customer=customer, role="manager")
    partner = CustomerFactory()
    customer.partner = partner
    customer.save()
    partner_viewer = UserFactory()
    MembershipFactory(user=partner_viewer, customer=partner, role="viewer")
    other = UserFactory()
    MembershipFactory(user=other, customer=CustomerFactory(), role="manager")
    for user in (staff, viewer, manager, partner_viewer):
        assert api_client(user).get(url).status_code == 200, user
    refused = api_client(other).get(url)
    assert refused.status_code == 404
    assert api_client(other).get(url.replace("2026-10", "2099-01")).status_code == 404
    assert api_client(None).get(url).status_code == 401


def test_the_recalculation_chain_gives_the_same_split(api_client, drain_jobs):
    made = october()
    customer = made["customer"]
    staff = UserFactory(is_staff=True)
    client = api_client(staff)
    assert client.post(f"/usage/recalculate_total_usage/2026-10/{customer.pk}").status_code == 202
    drain_jobs()
    answer = client.get(CHARGEBACK.format(customer.pk)).json()
    assert answer["total_cost"] == "63.4800"
    assert [row["total_cost"] for row in answer["cost_centers"]] == ["0.0000", "25.3300", "12.7500"]
    assert CDR.objects.filter(customer=customer, cycle_start=OCT, cost__isnull=True).count() == 0


def test_an_assignment_to_no_cost_center_in_the_selector_is_unassigned(
    api_client, month, datri_viewer, monkeypatch
):
    """The selector may say a device is "unassigned from a date" (an assignment without a cost
    center): the chargeback follows the selector, not the table."""
    from telcost.customers.selectors import CostCenterPeriod, cost_center_periods
    from telcost.usage.billing import chargeback

    customer, c = month["customer"], month["devices"]["C"]

    def with_c_unassigned(of):
        periods = []
        for period in cost_center_periods(of):
            if period.device_id == c.pk:  # OPS until 15 October, then none
                periods.append(period._replace(valid_until=dt.date(2026, 10, 15)))
                periods.append(CostCenterPeriod(c.pk, dt.date(2026, 10, 15), None, None, None))
            else:
                periods.append(period)
        return periods

    monkeypatch.setattr(chargeback, "cost_center_periods", with_c_unassigned)
    answer = api_client(datri_viewer).get(CHARGEBACK.format(customer.pk)).json()
    ops = next(row for row in answer["cost_centers"] if row["code"] == "OPS")
    assert ops["devices"] == 1 and ops["subscription_cost"] == "12.5000"
    assert answer["unassigned"]["devices"] == 3
    assert answer["unassigned"]["subscription_cost"] == "37.5000"
    assert answer["total_cost"] == "63.4800"


def test_a_customer_without_cost_centers_is_all_unassigned(api_client, staff_user):
    customer = CustomerFactory()
    phone = DeviceFactory(customer=customer)
    cdr(customer, phone, local(2026, 10, 2, 8, 0), "voice", "0.4321", duration_s=10)
    calculate(customer)
    answer = api_client(staff_user).get(CHARGEBACK.format(customer.pk)).json()
    assert answer["cost_centers"] == [] and answer["total_cost"] == "0.4321"
    assert answer["unassigned"]["by_type"]["voice"] == "0.4321"
    assert answer["unassigned"]["devices"] == 1
