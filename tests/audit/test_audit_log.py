"""The audit log (SPEC part 2, Master data): each change leaves one immutable entry, whoever makes
it and
wherever; staff read all, a customer's managers theirs, viewers none."""

import datetime as dt

import pytest
from django.test import Client

from telcost.audit.models import AuditEntry, AuditEntryImmutable
from telcost.audit.services import audit_record
from telcost.customers.models import Customer, Device
from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.syncs.credentials import credentials_encrypt
from telcost.syncs.models import SyncProfile
from telcost.syncs.profiles import sync_profile_create
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _entries(**kwargs):
    return list(AuditEntry.objects.filter(**kwargs).order_by("id"))


def test_an_admin_change_is_one_entry_with_old_and_new(customer):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    device = DeviceFactory(
        customer=customer, msisdn="31611111111", label="Old label", activated_on=dt.date(2026, 1, 1)
    )
    before = AuditEntry.objects.count()
    client = Client()
    client.force_login(admin)
    response = client.post(
        f"/django-admin/customers/device/{device.pk}/change/",
        {
            "msisdn": "31611111111",
            "iccid": device.iccid,
            "label": "New label",
            "customer": customer.pk,
            "activated_on": "2026-01-01",
            "deactivated_on": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.object_id, entry.object_name) == (
        "changed",
        "device",
        device.pk,
        "31611111111",
    )
    assert (entry.actor, entry.actor_id, entry.customer_id) == ("root", admin.pk, customer.pk)
    assert entry.changes == {"label": ["Old label", "New label"]}


def test_an_api_create_is_one_entry_by_the_token_user(api_client, staff_user):
    before = AuditEntry.objects.count()
    response = api_client(staff_user).post("/api/customers", {"name": "Datri", "kind": "standard"})
    assert response.status_code == 201
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.object_name) == ("created", "customer", "Datri")
    assert entry.object_id == entry.customer_id == response.json()["id"]
    assert (entry.actor, entry.actor_id) == ("staff", staff_user.pk)
    assert entry.changes["name"] == [None, "Datri"]
    assert "totals_version" not in entry.changes  # bookkeeping of recalculation, not a change


def test_api_credentials_are_masked(api_client, staff_user, customer):
    response = api_client(staff_user).post(
        "/api/sync-profiles",
        {
            "customer_id": customer.pk,
            "name": "Feed",
            "provider": "http_api",
            "settings": {"base_url": "http://127.0.0.1:9/"},
            "credentials": {"api_key": "very-secret"},
        },
    )
    assert response.status_code == 201, response.content
    [entry] = _entries(object_type="sync_profile")
    assert entry.changes["credentials_encrypted"] == [None, "***"]
    assert "very-secret" not in str(entry.changes)
    profile = SyncProfile.objects.get()
    profile.credentials_encrypted = credentials_encrypt({"api_key": "other-secret"})
    profile.save()
    changed = _entries(object_type="sync_profile", action="changed")
    assert [e.changes for e in changed] == [{"credentials_encrypted": ["***", "***"]}]
    assert (changed[0].actor, changed[0].actor_id) == (
        "system",
        None,
    )  # no request: a worker or a command


def test_a_service_change_is_one_entry_and_a_save_without_change_none(customer):
    device = DeviceFactory(customer=customer, label="A")
    before = AuditEntry.objects.count()
    device.label = "B"
    device.save()
    device.save()
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.changes == {"label": ["A", "B"]} and entry.actor == "system"


def test_a_password_is_masked_and_last_login_is_no_change():
    user = UserFactory(username="ann")
    entries = _entries(object_type="user", object_id=user.pk)
    assert all(
        "secret-pass-1" not in str(e.changes) and "pbkdf2" not in str(e.changes) for e in entries
    )
    user.set_password("another-pass-2")
    user.save()
    assert _entries(object_type="user", object_id=user.pk)[-1].changes == {
        "password": ["***", "***"]
    }
    count = AuditEntry.objects.count()
    user.last_login = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    user.save()
    assert AuditEntry.objects.count() == count


def test_every_audited_model_logs_create_change_and_delete(customer):
    user = UserFactory(username="bob")
    cost_center = CostCenterFactory(customer=customer, code="CC1", name="Sales")
    device = DeviceFactory(customer=customer, msisdn="31622222222")
    assignment = CostCenterAssignmentFactory(
        device=device, cost_center=cost_center, valid_from=dt.date(2026, 3, 1)
    )
    membership = MembershipFactory(user=user, customer=customer, role="viewer")
    profile = sync_profile_create(
        customer=customer,
        name="Drop",
        provider="file_drop",
        settings={"path": "/tmp"},
        credentials={},
    )
    for obj, object_type in [
        (cost_center, "cost_center"),
        (device, "device"),
        (assignment, "cost_center_assignment"),
        (membership, "membership"),
        (profile, "sync_profile"),
    ]:
        [created] = _entries(object_type=object_type, action="created")
        assert created.customer_id == customer.pk and created.object_id == obj.pk
    assert (
        _entries(object_type="cost_center_assignment")[0].object_name
        == "31622222222 → CC1 (01-03-2026)"
    )
    membership.role = "manager"
    membership.save()
    assert _entries(object_type="membership", action="changed")[0].changes == {
        "role": ["viewer", "manager"]
    }
    customer_id = customer.pk
    profile.delete()
    [deleted] = _entries(object_type="sync_profile", action="deleted")
    assert deleted.changes["name"] == ["Drop", None] and deleted.customer_id == customer_id


def test_a_dispatched_job_is_an_entry(customer, staff_user):

    job = job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer, created_by=staff_user
    ).job
    [entry] = _entries(object_type="job")
    assert (entry.action, entry.object_id, entry.object_name, entry.customer_id) == (
        "dispatched",
        job.pk,
        "probe",
        customer.pk,
    )
    assert (entry.actor, entry.actor_id) == ("staff", staff_user.pk)
    count = AuditEntry.objects.count()
    job.save()  # a job's own progress is no dispatch
    assert AuditEntry.objects.count() == count


def test_entries_cannot_be_changed_or_deleted(customer):
    entry = audit_record(
        action="changed", object_type="device", object_id=1, customer_id=customer.pk
    )
    entry.actor = "someone else"
    with pytest.raises(AuditEntryImmutable):
        entry.save()
    with pytest.raises(AuditEntryImmutable):
        entry.delete()
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(actor="x")
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).actor == "system"


def test_deleting_what_an_entry_names_keeps_the_entry():
    customer = CustomerFactory(name="Gone BV")
    customer_id = customer.pk
    customer.delete()
    assert not Customer.objects.filter(pk=customer_id).exists()
    assert [e.action for e in _entries(customer_id=customer_id)] == ["created", "deleted"]


def test_the_admin_shows_entries_read_only(customer):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    entry = audit_record(
        action="created", object_type="device", object_id=1, customer_id=customer.pk
    )
    client = Client()
    client.force_login(admin)
    assert client.get(f"/django-admin/audit/auditentry/{entry.pk}/change/").status_code == 200
    assert (
        client.post(
            f"/django-admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get("/django-admin/audit/auditentry/add/").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


# --- reading: GET /api/audit and the page
# -------------------------------------------------------------------


@pytest.fixture
def two_customers(customer):
    other = CustomerFactory(name="Other BV")
    DeviceFactory(customer=customer, msisdn="31633333333")
    DeviceFactory(customer=other, msisdn="31644444444")
    return customer, other


def test_staff_read_every_entry_with_filters(api_client, staff_user, two_customers):
    customer, other = two_customers
    client = api_client(staff_user)
    everything = client.get("/api/audit").json()
    assert everything["count"] == AuditEntry.objects.count() and everything["page_size"] == 50
    devices = client.get("/api/audit", {"object_type": "device", "customer_id": other.pk}).json()
    assert [i["object_name"] for i in devices["items"]] == ["31644444444"]
    item = devices["items"][0]
    assert set(item) >= {
        "id",
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "customer_id",
        "changes",
    }
    assert (
        client.get("/api/audit", {"actor": "system", "page_size": 1}).json()["count"]
        == everything["count"]
    )
    assert client.get("/api/audit", {"actor": "staff"}).json()["count"] == 0
    today = dt.date.today()
    assert (
        client.get("/api/audit", {"since": str(today - dt.timedelta(days=1))}).json()["count"]
        == everything["count"]
    )
    assert (
        client.get("/api/audit", {"until": str(today - dt.timedelta(days=2))}).json()["count"] == 0
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"object_type": "planet"}, "object_type"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "until"),
        ({"page_size": 501}, "page_size"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(api_client, staff_user, query, field):
    response = api_client(staff_user).get("/api/audit", query)
    assert response.status_code == 400 and field in response.json()["error"]


def test_a_manager_reads_only_their_customers(api_client, manager, two_customers):
    customer, other = two_customers
    client = api_client(manager)
    mine = client.get("/api/audit").json()
    assert mine["count"] > 0 and {i["customer_id"] for i in mine["items"]} == {customer.pk}
    assert client.get("/api/audit", {"customer_id": customer.pk}).json()["count"] == mine["count"]
    hidden = client.get("/api/audit", {"customer_id": other.pk})
    assert hidden.status_code == 404 and hidden.json() == {"error": "Customer not found"}


def test_a_partner_manager_reads_the_partners_customers(api_client):
    partner = CustomerFactory(name="Partner")
    child = CustomerFactory(name="Child", partner=partner)
    user = UserFactory(username="pm")
    MembershipFactory(user=user, customer=partner, role="manager")
    response = api_client(user).get("/api/audit", {"customer_id": child.pk})
    assert response.status_code == 200 and response.json()["count"] >= 1


def test_viewers_and_outsiders_are_refused(api_client, viewer, outsider, customer):
    assert api_client(viewer).get("/api/audit").status_code == 403
    assert api_client(viewer).get("/api/audit", {"customer_id": customer.pk}).status_code == 403
    assert api_client(outsider).get("/api/audit").status_code == 403
    assert api_client(outsider).get("/api/audit", {"customer_id": customer.pk}).status_code == 404
    assert api_client().get("/api/audit").status_code == 401


def test_the_page_follows_the_same_rule(client, manager, viewer, two_customers):
    customer, other = two_customers
    client.force_login(manager)
    page = client.get(f"/customers/{customer.pk}/audit/")
    assert page.status_code == 200 and "31633333333" in page.content.decode()
    assert "31644444444" not in page.content.decode()
    assert client.get(f"/customers/{other.pk}/audit/").status_code == 404
    client.force_login(viewer)
    assert client.get(f"/customers/{customer.pk}/audit/").status_code == 403


def test_the_page_pages_by_50_and_filters(client, staff_user, customer):
    for n in range(55):
        audit_record(
            action="changed",
            object_type="device",
            object_id=n,
            object_name=f"dev{n}",
            customer_id=customer.pk,
            changes={"label": ["a", "b"]},
        )
    client.force_login(staff_user)
    first = client.get(
        f"/customers/{customer.pk}/audit/", {"object_type": "device"}
    ).content.decode()
    assert first.count('class="audit-entry"') == 50 and "page=2" in first
    second = client.get(
        f"/customers/{customer.pk}/audit/", {"object_type": "device", "page": 2}
    ).content.decode()
    assert second.count('class="audit-entry"') == 5
    bad = client.get(f"/customers/{customer.pk}/audit/", {"since": "nope"})
    assert bad.status_code == 200 and 'id="audit-filter-error"' in bad.content.decode()


def test_a_request_without_a_user_records_system():
    entry = audit_record(action="created", object_type="rate_plan", object_id=1)
    assert (entry.actor, entry.actor_id, entry.customer_id) == ("system", None, None)
    assert Device.objects.count() == 0


def test_devices_an_import_creates_or_moves_are_entries(customer):
    from telcost.usage.imports.devices import devices_for_batch

    known = DeviceFactory(customer=customer, msisdn="31677777777", activated_on=dt.date(2026, 5, 1))
    devices_for_batch(
        customer=customer,
        first_seen={"31666666666": dt.date(2026, 4, 2), "31677777777": dt.date(2026, 4, 3)},
    )
    [created] = _entries(object_type="device", action="created", object_name="31666666666")
    assert created.customer_id == customer.pk and created.actor == "system"
    assert created.object_id == Device.objects.get(msisdn="31666666666").pk
    assert created.changes["activated_on"] == [None, "2026-04-02"]
    [moved] = _entries(object_type="device", action="changed")
    assert (moved.object_id, moved.changes) == (
        known.pk,
        {"activated_on": ["2026-05-01", "2026-04-03"]},
    )


def test_a_user_created_through_the_api_is_one_entry_and_each_membership_one(
    api_client, staff_user, customer
):
    before = AuditEntry.objects.count()
    response = api_client(staff_user).post(
        "/api/users",
        {
            "username": "carol",
            "password": "Long-enough-pass-77",
            "memberships": [{"customer_id": customer.pk, "role": "manager"}],
        },
    )
    assert response.status_code == 201, response.content
    assert AuditEntry.objects.count() == before + 2
    [user_entry] = _entries(object_type="user", object_name="carol")
    assert user_entry.changes["password"] == [None, "***"] and user_entry.actor == "staff"
    assert "Long-enough-pass-77" not in str(user_entry.changes)
    [membership] = _entries(object_type="membership", action="created")
    assert (membership.object_name, membership.customer_id, membership.actor) == (
        "carol: manager",
        customer.pk,
        "staff",
    )
