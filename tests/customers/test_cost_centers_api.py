"""Cost centers and their dated assignments through the API: who may, what is refused, what the
export then sees (SPEC part 2 "Master data")."""

import datetime as dt
from decimal import Decimal

import pytest

from telcost.audit.models import AuditEntry
from telcost.customers.models import CostCenter, CostCenterAssignment
from telcost.customers.selectors import cost_centers_on, device_cost_center_history
from telcost.exports.cdr import rows as cdr_export_rows
from telcost.usage.models import CDR
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

JAN = dt.date(2026, 1, 1)


@pytest.fixture
def centers(customer):
    sales = CostCenterFactory(customer=customer, code="SALES", name="Sales")
    ops = CostCenterFactory(customer=customer, code="OPS", name="Operations")
    phones = [DeviceFactory(customer=customer, msisdn=f"3161000000{i}") for i in range(3)]
    CostCenterAssignmentFactory(device=phones[0], cost_center=sales, valid_from=JAN)
    CostCenterAssignmentFactory(device=phones[1], cost_center=sales, valid_from=JAN)
    return sales, ops, phones


@pytest.fixture
def partner_manager(customer):
    partner = CustomerFactory(name="Partner BV")
    customer.partner = partner
    customer.save()
    user = UserFactory(username="partnermanager")
    MembershipFactory(user=user, customer=partner, role="manager")
    return user


@pytest.fixture
def users(staff_user, manager, viewer, outsider, partner_manager):
    return {
        "staff": staff_user,
        "manager": manager,
        "partner_manager": partner_manager,
        "viewer": viewer,
        "outsider": outsider,
    }


# Who may write: staff, the customer's manager and its partner's; a viewer gets 403, another
# customer's user 404, no token 401.
WRITE_STATUS = {"staff": None, "manager": None, "partner_manager": None, "viewer": 403}
WRITE_STATUS |= {"outsider": 404, "anonymous": 401}


def _client(api_client, users, role):
    return api_client(None if role == "anonymous" else users[role])


@pytest.mark.parametrize("role", list(WRITE_STATUS))
def test_who_reads_the_cost_centers(api_client, users, customer, centers, role):
    response = _client(api_client, users, role).get(f"/api/customers/{customer.pk}/cost-centers")
    expected = {"outsider": 404, "anonymous": 401}.get(role, 200)
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json() == [
            {"id": centers[1].pk, "code": "OPS", "name": "Operations", "devices_now": 0}
            | {"assignments": 0},
            {"id": centers[0].pk, "code": "SALES", "name": "Sales", "devices_now": 2}
            | {"assignments": 2},
        ]
    if role == "outsider":
        assert response.json() == {"error": "Customer not found"}


@pytest.mark.parametrize("role", list(WRITE_STATUS))
def test_who_creates_renames_and_deletes(api_client, users, customer, role):
    client = _client(api_client, users, role)
    refused = WRITE_STATUS[role]
    created = client.post(
        f"/api/customers/{customer.pk}/cost-centers", {"code": "HR", "name": "People"}
    )
    center = CostCenterFactory(customer=customer, code="FIN", name="Finance")
    renamed = client.patch(
        f"/api/cost-centers/{center.pk}", {"name": "Money"}, content_type="application/json"
    )
    deleted = client.delete(f"/api/cost-centers/{center.pk}")
    if refused:
        assert {created.status_code, renamed.status_code, deleted.status_code} == {refused}
        assert not CostCenter.objects.filter(code="HR").exists()
        assert CostCenter.objects.get(pk=center.pk).name == "Finance"
        return
    assert created.status_code == 201, created.content
    assert CostCenter.objects.get(pk=created.json()["id"]).name == "People"
    assert renamed.status_code == 200 and renamed.json()["name"] == "Money"
    assert deleted.status_code == 204 and not CostCenter.objects.filter(pk=center.pk).exists()


@pytest.mark.parametrize("role", list(WRITE_STATUS))
def test_who_assigns(api_client, users, customer, centers, role):
    _, ops, phones = centers
    response = _client(api_client, users, role).post(
        f"/api/customers/{customer.pk}/cost-center-assignments",
        {"msisdns": [phones[0].msisdn], "cost_center_code": "OPS", "valid_from": "2026-03-01"},
    )
    refused = WRITE_STATUS[role]
    assert response.status_code == (refused or 201), response.content
    moved = CostCenterAssignment.objects.filter(cost_center=ops).exists()
    assert moved == (refused is None)


def test_a_code_taken_is_a_409_and_the_same_code_at_another_customer_is_fine(
    api_client, staff_user, customer, centers
):
    client = api_client(staff_user)
    taken = client.post(
        f"/api/customers/{customer.pk}/cost-centers", {"code": "SALES", "name": "x"}
    )
    assert taken.status_code == 409 and "SALES" in taken.json()["error"]
    other = CustomerFactory()
    again = client.post(f"/api/customers/{other.pk}/cost-centers", {"code": "SALES", "name": "x"})
    assert again.status_code == 201


def test_delete_is_refused_while_any_assignment_names_it(api_client, manager, customer, centers):
    sales, ops, phones = centers
    client = api_client(manager)
    # A future assignment names OPS: deleting it would change what the device's history says.
    CostCenterAssignmentFactory(device=phones[2], cost_center=ops, valid_from=dt.date(2030, 1, 1))
    for center in (sales, ops):
        response = client.delete(f"/api/cost-centers/{center.pk}")
        assert response.status_code == 409, response.content
        assert center.code in response.json()["error"]
        assert CostCenter.objects.filter(pk=center.pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "", "name": "x"}, "code"),
        ({"code": "   ", "name": "x"}, "code"),
        ({"code": "x" * 65, "name": "x"}, "code"),
        ({"code": "X", "name": ""}, "name"),
        ({"code": "X", "name": " "}, "name"),
        ({"code": "X"}, "name"),
        ({"name": "x"}, "code"),
        ({"code": 5, "name": "x"}, "code"),
    ],
)
def test_bad_cost_centers_are_a_400_naming_the_field(api_client, manager, customer, body, field):
    response = api_client(manager).post(f"/api/customers/{customer.pk}/cost-centers", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]
    assert not CostCenter.objects.exists()


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "  "}, {"name": None}])
def test_a_bad_rename_is_a_400(api_client, manager, centers, body):
    sales = centers[0]
    response = api_client(manager).patch(
        f"/api/cost-centers/{sales.pk}", body, content_type="application/json"
    )
    assert response.status_code == 400 and "name" in response.json()["error"]
    assert CostCenter.objects.get(pk=sales.pk).name == "Sales"


def test_unknown_cost_centers_are_404(api_client, staff_user):
    client = api_client(staff_user)
    assert client.delete("/api/cost-centers/987654").status_code == 404
    assert (
        client.patch(
            "/api/cost-centers/987654", {"name": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get("/api/customers/987654/cost-centers").status_code == 404


def _assign(client, customer, msisdns, code, valid_from):
    return client.post(
        f"/api/customers/{customer.pk}/cost-center-assignments",
        {"msisdns": msisdns, "cost_center_code": code, "valid_from": valid_from},
    )


@pytest.mark.parametrize(
    ("msisdns", "code", "valid_from", "field"),
    [
        ([], "OPS", "2026-03-01", "msisdns"),
        (["31610000000", ""], "OPS", "2026-03-01", "msisdns"),
        (["31610000000"], "NOPE", "2026-03-01", "cost_center_code"),
        (["31610000000"], "OPS", "2026-13-01", "valid_from"),
        (["31610000000"], "OPS", "1999-12-31", "valid_from"),
        (["31610000000"], "OPS", None, "valid_from"),
        ("31610000000", "OPS", "2026-03-01", "msisdns"),
    ],
)
def test_bad_assignments_are_a_400_and_assign_nothing(
    api_client, manager, customer, centers, msisdns, code, valid_from, field
):
    before = CostCenterAssignment.objects.count()
    response = _assign(api_client(manager), customer, msisdns, code, valid_from)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]
    assert CostCenterAssignment.objects.count() == before


def test_a_missing_cost_center_code_is_a_400_not_an_unassignment(
    api_client, manager, customer, centers
):
    response = api_client(manager).post(
        f"/api/customers/{customer.pk}/cost-center-assignments",
        {"msisdns": ["31610000000"], "valid_from": "2026-03-01"},
    )
    assert response.status_code == 400 and "cost_center_code" in response.json()["error"]


def test_a_msisdn_of_another_customer_is_named_and_nothing_is_assigned(
    api_client, manager, customer, centers
):
    stranger = DeviceFactory(customer=CustomerFactory(), msisdn="31699999999")
    before = CostCenterAssignment.objects.count()
    phones = centers[2]
    response = _assign(
        api_client(manager),
        customer,
        [phones[0].msisdn, stranger.msisdn, "31688888888"],
        "OPS",
        "2026-03-01",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "31699999999" in error and "31688888888" in error and phones[0].msisdn not in error
    assert CostCenterAssignment.objects.count() == before


def test_dated_moves_and_unassigned_from_a_date(api_client, manager, customer, centers):
    sales, ops, phones = centers
    client = api_client(manager)
    everyone = [p.msisdn for p in phones]
    moved = _assign(client, customer, everyone, "OPS", "2026-03-15")
    assert moved.status_code == 201 and moved.json() == {"assigned": 3}
    gone = _assign(client, customer, [phones[0].msisdn, phones[0].msisdn], None, "2026-05-01")
    assert gone.status_code == 201 and gone.json() == {"assigned": 1}

    def codes(day):
        on = cost_centers_on(customer, day)
        return [on[p.pk].code if p.pk in on else None for p in phones]

    assert codes(dt.date(2026, 3, 14)) == ["SALES", "SALES", None]
    assert codes(dt.date(2026, 3, 15)) == ["OPS", "OPS", "OPS"]
    assert codes(dt.date(2026, 5, 1)) == [None, "OPS", "OPS"]
    # A later assignment ends the unassigned stretch.
    _assign(client, customer, [phones[0].msisdn], "SALES", "2026-07-01")
    assert codes(dt.date(2026, 7, 1))[0] == "SALES"
    history = device_cost_center_history(phones[0])
    assert [(h.valid_from, h.valid_until, h.code) for h in history] == [
        (dt.date(2026, 7, 1), None, "SALES"),
        (dt.date(2026, 5, 1), dt.date(2026, 7, 1), None),
        (dt.date(2026, 3, 15), dt.date(2026, 5, 1), "OPS"),
        (JAN, dt.date(2026, 3, 15), "SALES"),
    ]
    # Assigning again on the same day changes that day's assignment, no second one.
    _assign(client, customer, [phones[0].msisdn], "OPS", "2026-07-01")
    assert phones[0].cost_center_assignments.filter(valid_from=dt.date(2026, 7, 1)).count() == 1
    assert device_cost_center_history(phones[0])[0].code == "OPS"
    listed = {
        c["code"]: c["devices_now"]
        for c in client.get(f"/api/customers/{customer.pk}/cost-centers").json()
    }
    assert listed == {"OPS": 3, "SALES": 0}


def test_the_cdr_export_shows_no_cost_center_from_the_unassigned_day(
    api_client, manager, customer, centers
):
    """Both dialects (this test runs on SQLite and PostgreSQL) read the same periods."""
    _, _, phones = centers
    _assign(api_client(manager), customer, [phones[0].msisdn], None, "2026-10-15")
    for number, at in enumerate(
        [
            dt.datetime(2026, 10, 14, 21, 59, 59, tzinfo=dt.UTC),  # 23:59:59 CEST on the 14th
            dt.datetime(2026, 10, 14, 22, 0, tzinfo=dt.UTC),  # 00:00 CEST on the 15th
        ]
    ):
        CDR.objects.create(
            customer=customer,
            device=phones[0],
            external_id=f"u{number}",
            started_at=at,
            record_type="sms",
            zone="national",
            destination="31",
            provider_cost=Decimal("0.1"),
            cycle_start=dt.date(2026, 10, 1),
        )
    for for_xlsx in (False, True):
        rows = list(cdr_export_rows(customer, dt.date(2026, 10, 1), for_xlsx=for_xlsx))
        assert [row[-1] for row in rows] == ["SALES", None]


def test_every_change_is_an_audit_entry_by_its_user(api_client, manager, customer, centers):
    client = api_client(manager)
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    created = client.post(
        f"/api/customers/{customer.pk}/cost-centers", {"code": "HR", "name": "HR"}
    )
    center_id = created.json()["id"]
    client.patch(
        f"/api/cost-centers/{center_id}", {"name": "People"}, content_type="application/json"
    )
    _assign(client, customer, [centers[2][0].msisdn], None, "2026-04-01")
    client.delete(f"/api/cost-centers/{center_id}")
    entries = list(AuditEntry.objects.exclude(pk__in=before).order_by("pk"))
    assert [(e.object_type, e.action) for e in entries] == [
        ("cost_center", "created"),
        ("cost_center", "changed"),
        ("cost_center_assignment", "created"),
        ("cost_center", "deleted"),
    ]
    assert {e.actor for e in entries} == {"manager"}
    assert {e.customer_id for e in entries} == {customer.pk}
    assert entries[1].changes == {"name": ["HR", "People"]}
    assert entries[2].object_name == "31610000000 → — (01-04-2026)"
    assert entries[2].changes["valid_from"] == [None, "2026-04-01"]
