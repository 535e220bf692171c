"""GET /api/customers/{id}/trend and GET /api/partners/{id}/overview (SPEC part 2 "Trend"), on
hand-computed months; and the usage page's per-device table paged, sorted and searched against
the database (issue 17 items 3-5)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client

from telcost.accounts.models import Membership
from telcost.core.cycles import recent_cycles
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.usage.models import CDR, CycleTotals
from telcost.usage.recalculation.services import recalculation_dispatch
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)
from tests.usage.helpers import SEPT, add_cdr

pytestmark = pytest.mark.django_db
AUG = dt.date(2026, 8, 1)


def in_august(cdr: CDR) -> CDR:
    CDR.objects.filter(pk=cdr.pk).update(
        cycle_start=AUG, started_at=cdr.started_at - dt.timedelta(days=31)
    )
    return cdr


def calculate(drain_jobs, customer, *months):
    for month in months:
        recalculation_dispatch(customer=customer, cycle_start=month)
        drain_jobs()
        assert CycleTotals.objects.filter(customer=customer, cycle_start=month).exists()


@pytest.fixture
def two_months(drain_jobs, customer):
    """September: a national call 2.5000, EU data 1.2500, an international text 0.3000
    (total 4.0500, roaming 1.5500); August: a call 1.0000; every other month never calculated."""
    phone = DeviceFactory(customer=customer, msisdn="31600000001", activated_on=dt.date(2026, 1, 1))
    add_cdr(customer, phone, duration_s=60, provider_cost="2.5000")
    add_cdr(customer, phone, record_type="data", zone="eu", volume_kb=10, provider_cost="1.2500")
    add_cdr(customer, phone, record_type="sms", zone="international", provider_cost="0.3000")
    in_august(add_cdr(customer, phone, duration_s=30, provider_cost="1.0000"))
    calculate(drain_jobs, customer, SEPT, AUG)
    return customer


def by_month(items):
    return {item["month"]: item for item in items}


def test_the_trend_is_the_last_months_oldest_first_with_nulls_for_months_never_calculated(
    api_client, viewer, two_months
):
    response = api_client(viewer).get(f"/api/customers/{two_months.pk}/trend?months=12")
    assert response.status_code == 200, response.content
    items = response.json()
    expected_months = [m.strftime("%Y-%m") for m in reversed(recent_cycles(12))]
    assert [i["month"] for i in items] == expected_months  # oldest first, up to this month
    months = by_month(items)
    assert months["2026-09"] == {
        "month": "2026-09",
        "total_cost": "4.0500",
        "by_type": {"voice": "2.5000", "sms": "0.3000", "data": "1.2500", "subscription": "0.0000"},
        "roaming_cost": "1.5500",
    }
    assert months["2026-08"] == {
        "month": "2026-08",
        "total_cost": "1.0000",
        "by_type": {"voice": "1.0000", "sms": "0.0000", "data": "0.0000", "subscription": "0.0000"},
        "roaming_cost": "0.0000",
    }
    never = months["2026-07"]
    assert never == {
        "month": "2026-07",
        "total_cost": None,
        "by_type": {"voice": None, "sms": None, "data": None, "subscription": None},
        "roaming_cost": None,
    }
    # The default is twelve months; one month is the current one alone.
    default = api_client(viewer).get(f"/api/customers/{two_months.pk}/trend").json()
    assert default == items
    one = api_client(viewer).get(f"/api/customers/{two_months.pk}/trend?months=1").json()
    assert [i["month"] for i in one] == [expected_months[-1]]
    assert (
        len(api_client(viewer).get(f"/api/customers/{two_months.pk}/trend?months=36").json()) == 36
    )


@pytest.mark.parametrize("months", ["0", "37", "-1", "x", "1.5", ""])
def test_months_outside_1_to_36_are_a_400_naming_the_field(api_client, viewer, customer, months):
    response = api_client(viewer).get(f"/api/customers/{customer.pk}/trend?months={months}")
    assert response.status_code == 400
    assert "months" in response.json()["error"]


def test_who_may_read_a_trend(api_client, customer, staff_user, manager, viewer, outsider):
    url = f"/api/customers/{customer.pk}/trend"
    for user in (staff_user, manager, viewer):
        assert api_client(user).get(url).status_code == 200
    other = UserFactory(username="other-viewer")
    MembershipFactory(user=other, customer=CustomerFactory(), role="viewer")
    for user in (outsider, other):
        response = api_client(user).get(url)
        assert response.status_code == 404
        assert response.json() == {"error": "Customer not found"}
    assert api_client(viewer).get("/api/customers/999999/trend").status_code == 404
    assert Client().get(url).status_code == 401


# --- The partner overview --------------------------------------------------------------------


@pytest.fixture
def partner_world(drain_jobs):
    partner = CustomerFactory(name="Partner Telecom")
    acme = CustomerFactory(name="Acme BV", partner=partner)
    bolt = CustomerFactory(name="Bolt BV", partner=partner)
    device = DeviceFactory(customer=acme, msisdn="31600000009", activated_on=dt.date(2026, 1, 1))
    add_cdr(acme, device, duration_s=60, provider_cost="7482.3056")
    in_august(add_cdr(acme, device, duration_s=60, provider_cost="100.0000"))
    calculate(drain_jobs, acme, SEPT, AUG)
    profile = SyncProfile.objects.create(customer=acme, name="p", provider="routit")
    finished = dt.datetime(2026, 9, 30, 8, 0, tzinfo=dt.UTC)
    SyncTask.objects.create(
        profile=profile, cycle_start=SEPT, status="completed", finished_at=finished
    )
    SyncTask.objects.create(  # a later failed sync is no sync
        profile=profile,
        cycle_start=SEPT,
        status="failed",
        finished_at=finished + dt.timedelta(days=1),
    )
    reseller = UserFactory(username="reseller")
    MembershipFactory(user=reseller, customer=partner, role=Membership.Role.MANAGER)
    return partner, acme, bolt, reseller, finished


def test_the_partner_overview_lists_every_customer_against_last_month(
    api_client, partner_world, staff_user
):
    partner, acme, bolt, reseller, finished = partner_world
    for user in (reseller, staff_user):
        response = api_client(user).get(f"/api/partners/{partner.pk}/overview?month=2026-09")
        assert response.status_code == 200, response.content
        assert response.json() == [
            {
                "customer_id": acme.pk,
                "name": "Acme BV",
                "total_cost": "7482.3056",
                "previous_total_cost": "100.0000",
                "alerts": 0,
                "last_sync_at": finished.isoformat().replace("+00:00", "Z"),
                "calculated": True,
            },
            {
                "customer_id": bolt.pk,
                "name": "Bolt BV",
                "total_cost": None,
                "previous_total_cost": None,
                "alerts": 0,
                "last_sync_at": None,
                "calculated": False,
            },
        ]
    # Without ?month= the current month, not calculated for anyone here.
    current = api_client(reseller).get(f"/api/partners/{partner.pk}/overview").json()
    assert [row["calculated"] for row in current] == [False, False]


def test_the_partner_overview_is_refused_to_others(api_client, partner_world, outsider):
    partner, acme, _bolt, _reseller, _finished = partner_world
    url = f"/api/partners/{partner.pk}/overview?month=2026-09"
    acme_manager = UserFactory(username="acme-manager")  # of a customer, not of its partner
    MembershipFactory(user=acme_manager, customer=acme, role="manager")
    other_viewer = UserFactory(username="other-viewer")  # a customer's viewer of another partner
    MembershipFactory(
        user=other_viewer,
        customer=CustomerFactory(partner=CustomerFactory(name="Other partner")),
        role="viewer",
    )
    for user in (outsider, acme_manager, other_viewer):
        response = api_client(user).get(url)
        assert response.status_code == 404
        assert response.json() == {"error": "Customer not found"}
    assert Client().get(url).status_code == 401
    # A customer that is no partner has no overview.
    response = api_client(acme_manager).get(f"/api/partners/{acme.pk}/overview")
    assert response.status_code == 404


@pytest.mark.parametrize("month", ["2099-01", "1999-12", "2026-13", "sept", "2026-9"])
def test_bad_overview_months_are_a_400(api_client, partner_world, month):
    partner, *_rest, reseller, _finished = partner_world
    response = api_client(reseller).get(f"/api/partners/{partner.pk}/overview?month={month}")
    assert response.status_code == 400
    assert response.json()["error"]


# --- The per-device table against the database ------------------------------------------------


@pytest.fixture
def many_devices(drain_jobs, customer):
    """61 devices with labels, users and costs in no particular order; some in cost centers."""
    sales = CostCenterFactory(customer=customer, code="SALES", name="Verkoop")
    ops = CostCenterFactory(customer=customer, code="OPS", name="Operations")
    for i in range(61):
        device = DeviceFactory(
            customer=customer,
            msisdn=f"316{(i * 7919) % 100000:08d}",
            label=f"{'ab'[i % 2]}label {(i * 37) % 61:02d}",
            user_name=f"user{(i * 13) % 61:02d}",
            activated_on=dt.date(2026, 1, 1),
        )
        add_cdr(customer, device, duration_s=60 + i, provider_cost=f"{(i * 53) % 97}.{i:04d}")
        if i % 3 == 0:
            add_cdr(customer, device, record_type="sms", provider_cost="0.1000")
        if i % 4 == 0:
            center = sales if i % 8 == 0 else ops
            CostCenterAssignmentFactory(
                device=device, cost_center=center, valid_from=dt.date(2026, 1, 1)
            )
    # A later assignment after the month's last day does not count for September.
    late = customer.devices.order_by("msisdn").first()
    CostCenterAssignmentFactory(device=late, cost_center=sales, valid_from=dt.date(2026, 10, 1))
    # A device in SALES since January is unassigned from 15 September on: none on the 30th.
    left = customer.devices.filter(cost_center_assignments__cost_center=sales).order_by("pk")[0]
    CostCenterAssignmentFactory(device=left, cost_center=None, valid_from=dt.date(2026, 9, 15))
    calculate(drain_jobs, customer, SEPT)
    return customer


def table_rows(client, customer, **params) -> list[str]:
    """The msisdns of the table's rows, as the page's htmx request for the table answers."""
    response = client.get(
        f"/customers/{customer.pk}/usage/",
        {"month": "2026-09", **params},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="device-table",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # only the table's part
    return re.findall(r'<tr data-msisdn="(\d+)">', body)


def database_rows(customer) -> list[dict]:
    totals = dict(
        CDR.objects.filter(customer=customer, cycle_start=SEPT)
        .values("device_id")
        .annotate(total=Sum("cost"))
        .values_list("device_id", "total")
    )
    return [
        {
            "msisdn": d.msisdn,
            "label": d.label,
            "user_name": d.user_name,
            "total": Decimal(totals[d.pk]).quantize(Decimal("0.0001")),
        }
        for d in customer.devices.all()
        if d.pk in totals
    ]


def test_the_device_table_pages_sorts_and_searches_as_the_database_says(
    client, viewer, many_devices
):
    client.force_login(viewer)
    rows = database_rows(many_devices)
    assert len(rows) == 61
    by_total = [r["msisdn"] for r in sorted(rows, key=lambda r: (-r["total"], r["msisdn"]))]
    # The default: the most expensive first, 50 a page.
    assert table_rows(client, many_devices) == by_total[:50]
    assert table_rows(client, many_devices, page=2) == by_total[50:]
    assert table_rows(client, many_devices, page=99) == by_total[50:]  # the last page
    by_label = [r["msisdn"] for r in sorted(rows, key=lambda r: (r["label"], r["msisdn"]))]
    assert table_rows(client, many_devices, sort="label") == by_label[:50]
    # Labels are unique here, so descending is the reverse (ties keep msisdn ascending).
    assert table_rows(client, many_devices, sort="-label", page=2) == by_label[::-1][50:]
    by_user = [r["msisdn"] for r in sorted(rows, key=lambda r: (r["user_name"], r["msisdn"]))]
    assert table_rows(client, many_devices, sort="user_name", page=2) == by_user[50:]
    assert table_rows(client, many_devices, sort="msisdn") == sorted(r["msisdn"] for r in rows)[:50]
    # Search: msisdn, label or user, any case.
    wanted = [r for r in rows if "label 1" in r["label"].lower()]
    assert set(table_rows(client, many_devices, q="LABEL 1")) == {r["msisdn"] for r in wanted}
    one = rows[7]
    assert table_rows(client, many_devices, q=one["user_name"]) == [one["msisdn"]]
    assert table_rows(client, many_devices, q=one["msisdn"][-6:]) == [
        r["msisdn"]
        for r in sorted(rows, key=lambda r: (-r["total"], r["msisdn"]))
        if one["msisdn"][-6:] in r["msisdn"]
    ]
    assert table_rows(client, many_devices, q="%") == []  # a wildcard is a character


def test_the_device_table_filters_by_cost_center_and_usage_type(client, viewer, many_devices):
    client.force_login(viewer)
    from telcost.customers.selectors import cost_centers_on

    on_last_day = cost_centers_on(many_devices, dt.date(2026, 9, 30))
    msisdn = dict(many_devices.devices.values_list("pk", "msisdn"))
    sales = {msisdn[d] for d, p in on_last_day.items() if p.code == "SALES"}
    assert sales and set(table_rows(client, many_devices, cost_center="SALES")) == sales
    assigned = {msisdn[d] for d, period in on_last_day.items() if period.code}
    assert len(assigned) == 15  # 16 assigned in January, one unassigned since 15 September
    unassigned = set(table_rows(client, many_devices, cost_center="-", page=1)) | set(
        table_rows(client, many_devices, cost_center="-", page=2)
    )
    assert unassigned == set(msisdn.values()) - assigned
    texting = set(
        CDR.objects.filter(customer=many_devices, record_type="sms").values_list(
            "device__msisdn", flat=True
        )
    )
    assert set(table_rows(client, many_devices, type="sms")) == texting
    assert table_rows(client, many_devices, cost_center="NOPE") == []


def test_a_row_names_label_user_cost_center_and_links_to_the_device(client, viewer, many_devices):
    client.force_login(viewer)
    device = many_devices.devices.filter(cost_center_assignments__cost_center__code="OPS").first()
    body = client.get(
        f"/customers/{many_devices.pk}/usage/",
        {"month": "2026-09", "q": device.msisdn},
    ).content.decode()
    row = body[body.index(f'<tr data-msisdn="{device.msisdn}">') :].split("</tr>")[0]
    assert f'href="/devices/{device.pk}/"' in row
    assert f"<td>{device.label}</td><td>{device.user_name}</td>" in row
    assert "OPS" in row and "Operations" in row
    assert re.search(r"kostenplaats op [^<]*30[^<]*, de laatste dag van de maand", body), (
        re.findall(r"device-count.{0,200}", body)
    )
