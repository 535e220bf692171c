"""The devices API (SPEC part 2 "Master data"): who may do what, bad input changes nothing, and
the inventory's search, filters, sorts, paging and month cost come from the database."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from telcost.addons.models import CustomerAddon
from telcost.audit.models import AuditEntry
from telcost.customers.models import CostCenter, Device
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)
from tests.usage.helpers import add_cdr

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def fleet(customer):
    """Three devices with cost centers, one deactivated; September CDRs on two of them."""
    sales = CostCenterFactory(customer=customer, code="SALES", name="Sales")
    ops = CostCenterFactory(customer=customer, code="OPS", name="Operations")
    anna = DeviceFactory(
        customer=customer, msisdn="31611111111", label="zeta phone", user_name="Anna de Vries"
    )
    bert = DeviceFactory(
        customer=customer,
        msisdn="31622222222",
        label="Alpha tablet",
        user_name="bert",
        activated_on=dt.date(2025, 6, 1),
    )
    gone = DeviceFactory(
        customer=customer,
        msisdn="31633333333",
        label="old",
        user_name="Carla",
        activated_on=dt.date(2024, 1, 1),
        deactivated_on=dt.date(2026, 3, 1),
    )
    CostCenterAssignmentFactory(device=anna, cost_center=ops, valid_from=dt.date(2026, 1, 1))
    CostCenterAssignmentFactory(device=anna, cost_center=sales, valid_from=dt.date(2026, 9, 15))
    CostCenterAssignmentFactory(device=bert, cost_center=ops, valid_from=dt.date(2026, 1, 1))
    add_cdr(customer, anna, provider_cost="0.1234")
    add_cdr(customer, anna, record_type="data", volume_kb=10, provider_cost="0.5001")
    add_cdr(customer, bert, record_type="sms", provider_cost="0.0800")
    return {"anna": anna, "bert": bert, "gone": gone, "customer": customer}


def listing(client, customer, **params):
    return client.get(f"/api/customers/{customer.pk}/devices", params)


def msisdns(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["msisdn"] for item in response.json()["items"]]


# Reading ----------------------------------------------------------------------------------------


def test_everyone_who_sees_the_customer_lists_its_devices_and_no_one_else(
    api_client, fleet, staff_user, manager, viewer, outsider
):
    customer = fleet["customer"]
    for user in (staff_user, manager, viewer):
        assert msisdns(listing(api_client(user), customer)) == [
            "31611111111",
            "31622222222",
            "31633333333",
        ]
    other = api_client(outsider).get(f"/api/customers/{customer.pk}/devices")
    missing = api_client(outsider).get("/api/customers/999999/devices")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert api_client().get(f"/api/customers/{customer.pk}/devices").status_code == 401


def test_a_row_has_the_cost_center_of_today_and_the_month_cost_when_asked(
    api_client, fleet, viewer
):
    response = listing(api_client(viewer), fleet["customer"], month="2026-09")
    anna, bert, gone = response.json()["items"]
    assert anna["cost_center"] == {"code": "SALES", "name": "Sales"}
    assert anna["cost"] == "0.6235" and bert["cost"] == "0.0800" and gone["cost"] == "0.0000"
    assert gone["cost_center"] is None and gone["active"] is False and anna["active"] is True
    assert gone["deactivated_on"] == "2026-03-01" and anna["iccid"].startswith("8931")
    without = listing(api_client(viewer), fleet["customer"]).json()["items"][0]
    assert "cost" not in without or without["cost"] is None


def test_search_reads_msisdn_label_and_user_ignoring_case(api_client, fleet, viewer):
    client, customer = api_client(viewer), fleet["customer"]
    assert msisdns(listing(client, customer, q="6222")) == ["31622222222"]
    assert msisdns(listing(client, customer, q="ALPHA")) == ["31622222222"]
    assert msisdns(listing(client, customer, q="de vries")) == ["31611111111"]
    assert msisdns(listing(client, customer, q="nobody")) == []


def test_filters_by_cost_center_now_and_status(api_client, fleet, viewer):
    client, customer = api_client(viewer), fleet["customer"]
    assert msisdns(listing(client, customer, cost_center="OPS")) == ["31622222222"]
    assert msisdns(listing(client, customer, cost_center="SALES")) == ["31611111111"]
    assert msisdns(listing(client, customer, status="inactive")) == ["31633333333"]
    assert msisdns(listing(client, customer, status="active", cost_center="OPS")) == ["31622222222"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("msisdn", ["31611111111", "31622222222", "31633333333"]),
        ("-msisdn", ["31633333333", "31622222222", "31611111111"]),
        ("label", ["31622222222", "31633333333", "31611111111"]),
        ("-label", ["31611111111", "31633333333", "31622222222"]),
        ("user_name", ["31611111111", "31622222222", "31633333333"]),
        ("-user_name", ["31633333333", "31622222222", "31611111111"]),
        ("activated_on", ["31633333333", "31622222222", "31611111111"]),
        ("-activated_on", ["31611111111", "31622222222", "31633333333"]),
        # Without a cost center last going up: OPS, SALES, none.
        ("cost_center", ["31622222222", "31611111111", "31633333333"]),
        ("-cost_center", ["31633333333", "31611111111", "31622222222"]),
        ("cost", ["31633333333", "31622222222", "31611111111"]),
        ("-cost", ["31611111111", "31622222222", "31633333333"]),
    ],
)
def test_every_sort_both_ways(api_client, fleet, viewer, sort, expected):
    response = listing(api_client(viewer), fleet["customer"], sort=sort, month="2026-09")
    assert msisdns(response) == expected


def test_pages_of_the_sorted_list(api_client, customer, viewer):
    for n in range(7):
        DeviceFactory(customer=customer, msisdn=f"3169000000{n}")
    client = api_client(viewer)
    first = listing(client, customer, page_size=3, sort="-msisdn").json()
    third = listing(client, customer, page=3, page_size=3, sort="-msisdn").json()
    beyond = listing(client, customer, page=4, page_size=3).json()
    assert first["count"] == 7 and first["page"] == 1 and first["page_size"] == 3
    assert [i["msisdn"] for i in first["items"]] == [
        "31690000006",
        "31690000005",
        "31690000004",
    ]
    assert [i["msisdn"] for i in third["items"]] == ["31690000000"]
    assert beyond["items"] == [] and beyond["count"] == 7
    by_cost = listing(client, customer, page=3, page_size=3, sort="cost", month="2026-09").json()
    assert [i["msisdn"] for i in by_cost["items"]] == ["31690000006"]


def test_an_unassigned_stretch_is_in_the_history_as_the_pages_show_it(api_client, fleet, viewer):
    # Unassigned from 2026-10-01, then in Sales again: the API lists the stretch explicitly
    # (code null), as the device and cost-center pages do, instead of leaving a gap.
    bert = fleet["bert"]
    CostCenterAssignmentFactory(device=bert, cost_center=None, valid_from=dt.date(2026, 10, 1))
    sales = CostCenter.objects.get(customer=fleet["customer"], code="SALES")
    CostCenterAssignmentFactory(device=bert, cost_center=sales, valid_from=dt.date(2026, 11, 1))
    body = api_client(viewer).get(f"/api/devices/{bert.pk}").json()
    assert body["cost_centers"] == [
        {"code": "SALES", "name": "Sales", "valid_from": "2026-11-01", "valid_until": None},
        {"code": None, "name": None, "valid_from": "2026-10-01", "valid_until": "2026-11-01"},
        {
            "code": "OPS",
            "name": "Operations",
            "valid_from": "2026-01-01",
            "valid_until": "2026-10-01",
        },
    ]
    # The device page lists the same three rows, the stretch in words.
    client = Client()
    client.force_login(viewer)
    client.cookies["django_language"] = "en"
    response = client.get(f"/devices/{bert.pk}/")
    assert response.status_code == 200, response
    page = response.content.decode()
    assert page.count('class="history-row"') == 3
    assert "No cost center (unassigned)" in page


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "iccid2"}, "sort"),
        ({"sort": "cost"}, "sort"),
        ({"status": "gone"}, "status"),
        ({"month": "2099-01"}, "month"),
        ({"month": "1999-12"}, "month"),
        ({"month": "09-2026"}, "month"),
        ({"page": "0"}, "page"),
        ({"page_size": "501"}, "page_size"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_list_parameters_are_400_naming_them(api_client, fleet, viewer, params, field):
    response = listing(api_client(viewer), fleet["customer"], **params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(field)


def test_one_device_with_history_and_addons(
    api_client, fleet, staff_user, manager, viewer, outsider
):
    anna = fleet["anna"]
    CustomerAddon.objects.create(
        customer=fleet["customer"], addon_type="eu_roaming", status="active"
    )
    for user in (staff_user, manager, viewer):
        body = api_client(user).get(f"/api/devices/{anna.pk}").json()
        assert body["msisdn"] == "31611111111" and body["user_name"] == "Anna de Vries"
        assert body["cost_center"] == {"code": "SALES", "name": "Sales"}
        assert body["cost_centers"] == [
            {"code": "SALES", "name": "Sales", "valid_from": "2026-09-15", "valid_until": None},
            {
                "code": "OPS",
                "name": "Operations",
                "valid_from": "2026-01-01",
                "valid_until": "2026-09-15",
            },
        ]
        assert [a["addon_type"] for a in body["addons"]] == ["eu_roaming"]
    other = api_client(outsider).get(f"/api/devices/{anna.pk}")
    missing = api_client(outsider).get("/api/devices/999999")
    assert other.status_code == missing.status_code == 404 and other.json() == missing.json()
    assert api_client().get(f"/api/devices/{anna.pk}").status_code == 401


# Adding -----------------------------------------------------------------------------------------

NEW = {
    "msisdn": "31655555555",
    "iccid": "8931000000000000055",
    "label": "New phone",
    "user_name": "Dirk",
    "activated_on": "2026-11-01",
}


def test_only_staff_add_a_device(api_client, customer, staff_user, manager, viewer, outsider):
    path = f"/api/customers/{customer.pk}/devices"
    assert api_client(manager).post(path, NEW).status_code == 403
    assert api_client(viewer).post(path, NEW).status_code == 403
    assert api_client(outsider).post(path, NEW).status_code == 404
    assert api_client().post(path, NEW).status_code == 401
    assert not Device.objects.exists()
    response = api_client(staff_user).post(path, NEW)
    assert response.status_code == 201
    device = Device.objects.get(pk=response.json()["id"])
    assert (device.customer, device.user_name, device.activated_on) == (
        customer,
        "Dirk",
        dt.date(2026, 11, 1),
    )
    assert AuditEntry.objects.filter(
        object_type="device", object_id=device.pk, action="created", actor="staff"
    ).exists()


def test_an_msisdn_of_any_customer_is_409_without_saying_whose(api_client, customer, staff_user):
    other = CustomerFactory(name="Secret Corp")
    DeviceFactory(customer=other, msisdn=NEW["msisdn"])
    response = api_client(staff_user).post(f"/api/customers/{customer.pk}/devices", NEW)
    assert response.status_code == 409
    assert response.json() == {"error": "msisdn is already a device"}
    assert Device.objects.filter(customer=customer).count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"msisdn": "12"}, "msisdn"),
        ({"msisdn": "3161234567a"}, "msisdn"),
        ({"iccid": "89x"}, "iccid"),
        ({"label": "x" * 201}, "label"),
        ({"activated_on": "2026-13-01"}, "activated_on"),
        ({"activated_on": None}, "activated_on"),
        ({"user_name": "a\x00b"}, ""),
    ],
)
def test_bad_new_devices_are_400_and_add_nothing(api_client, customer, staff_user, change, field):
    response = api_client(staff_user).post(
        f"/api/customers/{customer.pk}/devices", {**NEW, **change}
    )
    assert response.status_code == 400
    assert field in response.json()["error"]
    assert not Device.objects.exists()


# Editing ----------------------------------------------------------------------------------------


def test_a_manager_changes_label_and_user_and_the_audit_log_shows_it(api_client, fleet, manager):
    anna = fleet["anna"]
    response = api_client(manager).patch(
        f"/api/devices/{anna.pk}",
        {"label": "CEO phone", "user_name": "Anna Jansen"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["label"] == "CEO phone"
    anna.refresh_from_db()
    assert (anna.label, anna.user_name) == ("CEO phone", "Anna Jansen")
    entry = AuditEntry.objects.get(object_type="device", object_id=anna.pk, action="changed")
    assert entry.actor == "manager" and entry.customer_id == anna.customer_id
    assert entry.changes == {
        "label": ["zeta phone", "CEO phone"],
        "user_name": ["Anna de Vries", "Anna Jansen"],
    }


def test_a_partner_manager_edits_labels_of_the_partners_customers(api_client, fleet):
    partner = CustomerFactory(name="Partner")
    customer = fleet["customer"]
    customer.partner = partner
    customer.save()
    boss = UserFactory(username="boss")
    MembershipFactory(user=boss, customer=partner, role="manager")
    response = api_client(boss).patch(
        f"/api/devices/{fleet['bert'].pk}", {"label": "Bert's"}, content_type="application/json"
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "change", [{"iccid": "89310"}, {"activated_on": "2026-01-02"}, {"deactivated_on": None}]
)
def test_a_manager_sending_a_staff_field_is_403_and_nothing_changes(
    api_client, fleet, manager, change
):
    gone = fleet["gone"]
    before = list(Device.objects.values().order_by("pk"))
    response = api_client(manager).patch(
        f"/api/devices/{gone.pk}", {"label": "new", **change}, content_type="application/json"
    )
    assert response.status_code == 403
    assert list(Device.objects.values().order_by("pk")) == before
    assert not AuditEntry.objects.filter(object_type="device", action="changed").exists()


def test_viewers_strangers_and_anonymous_change_nothing(api_client, fleet, viewer, outsider):
    anna = fleet["anna"]
    path = f"/api/devices/{anna.pk}"
    body = {"label": "x"}
    assert api_client(viewer).patch(path, body, content_type="application/json").status_code == 403
    stranger = api_client(outsider).patch(path, body, content_type="application/json")
    assert stranger.status_code == 404 and stranger.json() == {"error": "Device not found"}
    assert api_client().patch(path, body, content_type="application/json").status_code == 401
    anna.refresh_from_db()
    assert anna.label == "zeta phone"


def test_staff_change_every_field_and_deactivate(api_client, fleet, staff_user):
    anna = fleet["anna"]
    response = api_client(staff_user).patch(
        f"/api/devices/{anna.pk}",
        {"iccid": "8931999", "activated_on": "2025-12-01", "deactivated_on": "2026-11-30"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["active"] is (dt.date(2026, 11, 30) > TODAY)
    anna.refresh_from_db()
    assert (anna.iccid, anna.activated_on, anna.deactivated_on) == (
        "8931999",
        dt.date(2025, 12, 1),
        dt.date(2026, 11, 30),
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"deactivated_on": "2020-01-01"}, "deactivated_on"),
        ({"activated_on": None}, "activated_on"),
        ({"activated_on": "yesterday"}, "activated_on"),
        ({"iccid": "x"}, "iccid"),
        ({"label": "y" * 201}, "label"),
    ],
)
def test_bad_edits_are_400_naming_the_field_and_change_nothing(
    api_client, fleet, staff_user, change, field
):
    anna = fleet["anna"]
    before = Device.objects.values().get(pk=anna.pk)
    response = api_client(staff_user).patch(
        f"/api/devices/{anna.pk}", change, content_type="application/json"
    )
    assert response.status_code == 400 and field in response.json()["error"]
    assert Device.objects.values().get(pk=anna.pk) == before
