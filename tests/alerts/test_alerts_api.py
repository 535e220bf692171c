"""The alert rules API and the fired alerts list: who may do what, what is refused (400, nothing
written), 404 for what the user may not see, paging, and the audit log of rule writes."""

import datetime as dt

import pytest
from django.utils import timezone

from telcost.alerts.models import Alert, AlertRule
from telcost.audit.models import AuditEntry
from tests.alerts.helpers import rule
from tests.factories import (
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

RULES = "/api/customers/{}/alert-rules"
RULE = "/api/alert-rules/{}"
ALERTS = "/api/customers/{}/alerts"


def body(**changes) -> dict:
    return {
        "name": "Roaming over 100",
        "metric": "roaming_cost",
        "scope": "customer",
        "target": None,
        "threshold": "100.00",
        "recipients": ["finance@example.com"],
        **changes,
    }


@pytest.fixture
def shop(db):
    partner = CustomerFactory(name="Reseller")
    customer = CustomerFactory(name="Shop", partner=partner)
    CostCenterFactory(customer=customer, code="SALES", name="Sales")
    DeviceFactory(customer=customer, msisdn="31612345678", label="Anna")
    return customer


def member(customer, role, name=None):
    user = UserFactory(username=name or f"{role}-{customer.pk}")
    MembershipFactory(user=user, customer=customer, role=role)
    return user


def test_a_manager_creates_a_rule_and_everyone_who_may_see_reads_it(api_client, shop):
    manager = member(shop, "manager")
    created = api_client(manager).post(
        RULES.format(shop.pk),
        body(scope="cost_center", target="SALES", metric="total_cost", language="en"),
    )
    assert created.status_code == 201, created.json()
    rule_id = created.json()["id"]
    saved = AlertRule.objects.get(pk=rule_id)
    assert (saved.created_by, saved.threshold, saved.target) == (manager, 100, "SALES")
    for reader in (member(shop, "viewer"), member(shop.partner, "viewer")):
        client = api_client(reader)
        one = client.get(RULE.format(rule_id)).json()
        assert one | {"created_at": None, "updated_at": None} == {
            "id": rule_id,
            "customer_id": shop.pk,
            "name": "Roaming over 100",
            "metric": "total_cost",
            "scope": "cost_center",
            "target": "SALES",
            "threshold": "100.0000",
            "recipients": ["finance@example.com"],
            "language": "en",
            "active": True,
            "created_at": None,
            "updated_at": None,
        }
        page = client.get(RULES.format(shop.pk)).json()
        assert (page["count"], page["page"], page["page_size"]) == (1, 1, 50)
        assert [item["id"] for item in page["items"]] == [rule_id]


def test_the_target_is_null_for_the_customer_and_for_each_cost_center_or_device(
    api_client, staff_user, shop
):
    client = api_client(staff_user)
    for scope in ("customer", "cost_center", "device"):
        created = client.post(RULES.format(shop.pk), body(scope=scope))
        assert created.status_code == 201
        assert client.get(RULE.format(created.json()["id"])).json()["target"] is None
    device = client.post(RULES.format(shop.pk), body(scope="device", target="31612345678"))
    assert client.get(RULE.format(device.json()["id"])).json()["target"] == "31612345678"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"metric": "cost"}, "metric"),
        ({"scope": "planet"}, "scope"),
        ({"threshold": "-1"}, "threshold"),
        ({"threshold": "abc"}, "threshold"),
        ({"threshold": "1.00001"}, "threshold"),
        ({"threshold": "1e20"}, "threshold"),
        ({"recipients": []}, "recipients"),
        ({"recipients": ["not-an-address"]}, "recipients"),
        ({"recipients": [f"a{i}@example.com" for i in range(21)]}, "recipients"),
        ({"recipients": "finance@example.com"}, "recipients"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"language": "de"}, "language"),
        ({"scope": "cost_center", "target": "NOPE"}, "target"),
        ({"scope": "cost_center", "target": "OTHER"}, "target"),  # another customer's code
        ({"scope": "device", "target": "31699999999"}, "target"),  # another customer's device
        ({"scope": "device", "target": "SALES"}, "target"),
        ({"scope": "customer", "target": "SALES"}, "target"),
        ({"target": "x" * 65}, "target"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api_client, shop, changes, field):
    other = CustomerFactory(name="Other")
    CostCenterFactory(customer=other, code="OTHER")
    DeviceFactory(customer=other, msisdn="31699999999")
    answer = api_client(member(shop, "manager")).post(RULES.format(shop.pk), body(**changes))
    assert answer.status_code == 400, answer.json()
    assert answer.json()["error"].startswith(f"{field}:"), answer.json()
    assert not AlertRule.objects.exists()
    assert not AuditEntry.objects.filter(object_type="alert_rule").exists()


def test_a_refused_change_changes_nothing(api_client, shop):
    made = rule(shop, name="Total", threshold="50")
    client = api_client(member(shop, "manager"))
    for changes in (
        {"threshold": "-5"},
        {"name": None},
        {"recipients": ["x"]},
        {"scope": "device", "target": "SALES"},
        {"active": None},
    ):
        answer = client.patch(RULE.format(made.pk), changes)
        assert answer.status_code == 400, (changes, answer.json())
    made.refresh_from_db()
    assert (made.name, made.threshold, made.scope, made.recipients, made.active) == (
        "Total",
        50,
        "customer",
        ["finance@example.com"],
        True,
    )


def test_patch_changes_what_it_names_and_checks_the_whole_rule(api_client, shop):
    made = rule(shop, name="Total", threshold="50")
    client = api_client(member(shop, "manager"))
    answer = client.patch(
        RULE.format(made.pk), {"threshold": "75.5", "scope": "device", "target": "31612345678"}
    )
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["threshold"], answer.json()["target"], answer.json()["name"]) == (
        "75.5000",
        "31612345678",
        "Total",
    )
    # Back to the customer: the device's number names nothing there, so it goes.
    answer = client.patch(RULE.format(made.pk), {"scope": "customer"})
    assert answer.status_code == 200 and answer.json()["target"] is None
    answer = client.patch(RULE.format(made.pk), {"active": False})
    assert answer.json()["active"] is False


def test_delete_stops_the_rule_and_keeps_its_alerts(api_client, shop):
    made = rule(shop, name="Total", threshold="50")
    Alert.objects.create(
        rule=made, customer=shop, cycle_start=dt.date(2026, 10, 1), value=60, threshold=50
    )
    client = api_client(member(shop, "manager"))
    assert client.delete(RULE.format(made.pk)).status_code == 204
    assert client.get(RULE.format(made.pk)).status_code == 404
    assert client.delete(RULE.format(made.pk)).status_code == 404
    assert client.get(RULES.format(shop.pk)).json()["count"] == 0
    alerts = client.get(ALERTS.format(shop.pk), {"month": "2026-10"}).json()
    assert [a["rule_id"] for a in alerts["items"]] == [made.pk]


def test_rule_writes_are_in_the_audit_log(api_client, shop):
    manager = member(shop, "manager", "mgr")
    client = api_client(manager)
    rule_id = client.post(RULES.format(shop.pk), body()).json()["id"]
    client.patch(RULE.format(rule_id), {"threshold": "150"})
    client.delete(RULE.format(rule_id))
    entries = list(
        AuditEntry.objects.filter(object_type="alert_rule", object_id=rule_id).order_by("pk")
    )
    assert [(e.action, e.actor, e.customer_id) for e in entries] == [
        ("created", "mgr", shop.pk),
        ("changed", "mgr", shop.pk),
        ("deleted", "mgr", shop.pk),
    ]
    assert entries[0].changes["threshold"] == [None, "100.0000"]
    assert entries[1].changes == {"threshold": ["100.0000", "150.0000"]}
    assert "deleted_at" not in entries[1].changes


def test_who_may_write_and_who_may_see(api_client, staff_user, shop):
    made = rule(shop, name="Total")
    writers = [staff_user, member(shop, "manager"), member(shop.partner, "manager")]
    readers = [member(shop, "viewer"), member(shop.partner, "viewer")]
    strangers = [UserFactory(username="outsider"), member(CustomerFactory(), "manager")]
    for user in writers:
        client = api_client(user)
        assert client.post(RULES.format(shop.pk), body()).status_code == 201
        assert client.patch(RULE.format(made.pk), {"name": "Renamed"}).status_code == 200
    for user in readers:
        client = api_client(user)
        assert client.get(RULE.format(made.pk)).status_code == 200
        assert client.get(ALERTS.format(shop.pk)).status_code == 200
        assert client.post(RULES.format(shop.pk), body()).status_code == 403
        assert client.patch(RULE.format(made.pk), {"name": "No"}).status_code == 403
        assert client.delete(RULE.format(made.pk)).status_code == 403
    for user in strangers:
        client = api_client(user)
        for answer in (
            client.get(RULES.format(shop.pk)),
            client.get(ALERTS.format(shop.pk)),
            client.post(RULES.format(shop.pk), body()),
        ):
            assert (answer.status_code, answer.json()) == (404, {"error": "Customer not found"})
        for answer in (
            client.get(RULE.format(made.pk)),
            client.patch(RULE.format(made.pk), {"name": "No"}),
            client.delete(RULE.format(made.pk)),
        ):
            assert (answer.status_code, answer.json()) == (
                404,
                {"error": "Alert rule not found"},
            )
    assert api_client(staff_user).get(RULE.format(10**9)).json() == {
        "error": "Alert rule not found"
    }
    assert AlertRule.objects.live().count() == 4
    assert AlertRule.objects.get(pk=made.pk).name == "Renamed"
    assert api_client().get(RULES.format(shop.pk)).status_code == 401


def test_alerts_of_a_month_paged(api_client, shop):
    viewer = member(shop, "viewer")
    total = rule(shop, name="Total", threshold="10")
    per_device = rule(shop, name="Device", scope="device", threshold="1")
    oct_, sep = dt.date(2026, 10, 1), dt.date(2026, 9, 1)
    first = Alert.objects.create(
        rule=total, customer=shop, cycle_start=oct_, value=12, threshold=10
    )
    Alert.objects.create(rule=total, customer=shop, cycle_start=sep, value=11, threshold=10)
    for n in range(3):
        Alert.objects.create(
            rule=per_device,
            customer=shop,
            cycle_start=oct_,
            target=f"3161234567{n}",
            value=2,
            threshold=1,
        )
    client = api_client(viewer)
    october = client.get(ALERTS.format(shop.pk), {"month": "2026-10", "page_size": 2}).json()
    assert (october["count"], len(october["items"])) == (4, 2)
    # By rule name, then target: "Device" before "Total".
    assert [a["target"] for a in october["items"]] == ["31612345670", "31612345671"]
    last = client.get(ALERTS.format(shop.pk), {"month": "2026-10", "page": 2, "page_size": 2})
    assert last.json()["items"][-1] == {
        "id": first.pk,
        "rule_id": total.pk,
        "cycle_start": "2026-10-01",
        "target": "",
        "value": "12.0000",
        "threshold": "10.0000",
        "fired_at": last.json()["items"][-1]["fired_at"],
    }
    every = client.get(ALERTS.format(shop.pk)).json()
    assert every["count"] == 5 and every["items"][0]["cycle_start"] == "2026-10-01"
    assert every["items"][-1]["cycle_start"] == "2026-09-01"


@pytest.mark.parametrize(
    ("month", "fragment"),
    [
        ("2027-03", "2027-03"),
        ("1999-12", "1999-12"),
        ("2026-13", "month"),
        ("oct", "month"),
    ],
)
def test_a_bad_month_is_a_400(api_client, staff_user, shop, month, fragment):
    answer = api_client(staff_user).get(ALERTS.format(shop.pk), {"month": month})
    assert answer.status_code == 400 and fragment in answer.json()["error"]


def test_rules_are_paged_by_name(api_client, staff_user, shop):
    for name in ("c", "a", "b"):
        rule(shop, name=name)
    rule(shop, name="gone", deleted_at=timezone.now())
    page = api_client(staff_user).get(RULES.format(shop.pk), {"page_size": 2, "page": 2}).json()
    assert (page["count"], [item["name"] for item in page["items"]]) == (3, ["c"])
