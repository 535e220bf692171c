"""Customer menu → Cost centers, served: who sees what, who may post, and what a post changes."""

import datetime as dt

import pytest
from django.test import Client

from telcost.customers.models import CostCenter, CostCenterAssignment
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(customer):
    sales = CostCenterFactory(customer=customer, code="SALES", name="Sales")
    phone = DeviceFactory(customer=customer, msisdn="31612345678", label="Jan's phone")
    CostCenterAssignmentFactory(device=phone, cost_center=sales, valid_from=dt.date(2026, 1, 1))
    partner = CustomerFactory(name="Partner BV")
    customer.partner = partner
    customer.save()
    partner_manager = UserFactory(username="partnermanager")
    MembershipFactory(user=partner_manager, customer=partner, role="manager")
    return sales, phone, partner_manager


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_managers_and_staff_see_edit_controls_viewers_do_not(
    customer, world, staff_user, manager, viewer
):
    url = f"/customers/{customer.pk}/cost-centers/"
    for user in (staff_user, manager, world[2]):
        body = _client(user).get(url).content.decode()
        assert 'id="cost-center-create"' in body and "rename-form" in body
    body = _client(viewer).get(url).content.decode()
    assert "SALES" in body and 'id="read-only-note"' in body
    assert 'id="cost-center-create"' not in body and "rename-form" not in body
    assert 'id="assign-submit"' not in body
    fragment = _client(viewer).get(f"/customers/{customer.pk}/cost-centers/devices").content
    assert b"31612345678" in fragment and b'name="msisdns"' not in fragment


def test_another_customers_user_gets_404_everywhere(customer, world, outsider):
    sales, phone, _ = world
    client = _client(outsider)
    for url in (
        f"/customers/{customer.pk}/cost-centers/",
        f"/customers/{customer.pk}/cost-centers/devices",
        f"/customers/{customer.pk}/cost-centers/devices/{phone.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"/customers/{customer.pk}/cost-centers/create", {"code": "X", "name": "X"}),
        (f"/cost-centers/{sales.pk}/rename", {"name": "X"}),
        (f"/cost-centers/{sales.pk}/delete", {}),
        (f"/customers/{customer.pk}/cost-centers/assign", {"msisdns": phone.msisdn}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert CostCenter.objects.get(pk=sales.pk).name == "Sales"
    assert Client().get(f"/customers/{customer.pk}/cost-centers/").status_code == 302


def test_a_viewer_may_not_post(customer, world, viewer):
    sales, phone, _ = world
    client = _client(viewer)
    before = CostCenterAssignment.objects.count()
    for url, data in (
        (f"/customers/{customer.pk}/cost-centers/create", {"code": "X", "name": "X"}),
        (f"/cost-centers/{sales.pk}/rename", {"name": "X"}),
        (f"/cost-centers/{sales.pk}/delete", {}),
        (
            f"/customers/{customer.pk}/cost-centers/assign",
            {"msisdns": phone.msisdn, "cost_center_code": "-", "valid_from": "2026-05-01"},
        ),
    ):
        assert client.post(url, data).status_code == 403, url
    assert CostCenter.objects.get(pk=sales.pk).name == "Sales"
    assert not CostCenter.objects.filter(code="X").exists()
    assert CostCenterAssignment.objects.count() == before


def test_a_manager_assigns_unassigns_and_reads_the_history(customer, world, manager):
    sales, phone, _ = world
    ops = CostCenterFactory(customer=customer, code="OPS", name="Operations")
    client = _client(manager)
    url = f"/customers/{customer.pk}/cost-centers/assign"
    response = client.post(
        url,
        {"msisdns": [phone.msisdn], "cost_center_code": "OPS", "valid_from": "2026-03-01"},
        follow=True,
    )
    assert "1 device(s) assigned from 1 Mar 2026." in response.content.decode()
    client.post(
        url, {"msisdns": [phone.msisdn], "cost_center_code": "-", "valid_from": "2026-04-01"}
    )
    assert list(
        phone.cost_center_assignments.order_by("valid_from").values_list("cost_center", flat=True)
    ) == [sales.pk, ops.pk, None]
    history = client.get(f"/customers/{customer.pk}/cost-centers/devices/{phone.pk}/")
    text = history.content.decode()
    assert text.count('class="history-row"') == 3 and "No cost center (unassigned)" in text
    # Bad input: a message naming the field, nothing assigned.
    for data in (
        {"msisdns": [phone.msisdn], "cost_center_code": "OPS", "valid_from": "nope"},
        {"cost_center_code": "OPS", "valid_from": "2026-05-01"},
        {"msisdns": ["31600000000"], "cost_center_code": "OPS", "valid_from": "2026-05-01"},
    ):
        body = client.post(url, data, follow=True).content.decode()
        assert 'class="error"' in body
    assert phone.cost_center_assignments.count() == 3


def test_delete_of_an_assigned_cost_center_is_refused_with_a_message(customer, world, manager):
    sales = world[0]
    body = _client(manager).post(f"/cost-centers/{sales.pk}/delete", follow=True).content.decode()
    assert "cannot be deleted" in body and CostCenter.objects.filter(pk=sales.pk).exists()
    dutch = Client()
    dutch.force_login(manager)
    body = dutch.post(f"/cost-centers/{sales.pk}/delete", follow=True).content.decode()
    assert "kan niet worden verwijderd" in body


def test_the_admin_cost_center_pages_link_to_the_management_page(customer, world, manager):
    client = _client(manager)
    listing = client.get("/admin/cost-centers/").content.decode()
    assert f'href="/customers/{customer.pk}/cost-centers/"' in listing
    details = client.get(f"/admin/cost-centers/{customer.pk}/").content.decode()
    assert 'id="manage-cost-centers"' in details
    home = client.get(f"/customers/{customer.pk}/cost-centers/").content.decode()
    assert 'id="cost-centers-link"' in home
