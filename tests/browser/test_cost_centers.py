"""Customer menu → Cost centers in a real browser: managers (the customer's and its partner's)
and staff change them in Dutch and English, a viewer reads, another customer's user gets 404."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from telcost.customers.models import CostCenter, CostCenterAssignment
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(customer):
    sales = CostCenterFactory(customer=customer, code="SALES", name="Verkoop")
    phones = [
        DeviceFactory(customer=customer, msisdn=f"3161234000{i}", label=f"Telefoon {i}")
        for i in range(3)
    ]
    phones[2].user_name = "Piet Jansen"
    phones[2].save()
    CostCenterAssignmentFactory(device=phones[0], cost_center=sales, valid_from=dt.date(2026, 1, 1))
    partner = CustomerFactory(name="Partner BV")
    customer.partner = partner
    customer.save()
    MembershipFactory(user=UserFactory(username="partnermanager"), customer=partner, role="manager")
    return sales, phones


def english(page, live_url):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_url}])


def test_a_manager_manages_cost_centers_in_dutch(page, live_url, login, customer, manager, world):
    sales, phones = world
    login(page, "manager")
    page.goto(f"{live_url}/customers/{customer.pk}/usage/")
    page.locator("#customer-menu summary").click()
    expect(page.locator("#cost-centers-link")).to_have_text("Kostenplaatsen")
    page.click("#cost-centers-link")
    expect(page.locator("h1")).to_contain_text("Kostenplaatsen")
    row = page.locator('tr.cost-center[data-code="SALES"]')
    expect(row.locator(".cc-devices")).to_have_text("1")
    # Create, then rename.
    page.fill("#new-code", "OPS")
    page.fill("#new-name", "Operatie")
    page.click("#cost-center-create button[type=submit]")
    expect(page.locator(".messages li.success")).to_have_text("Kostenplaats OPS aangemaakt.")
    ops_row = page.locator('tr.cost-center[data-code="OPS"]')
    ops_row.locator('input[name="name"]').fill("Operations")
    ops_row.locator(".rename-form button").click()
    expect(page.locator(".messages li.success")).to_contain_text("Naam van kostenplaats OPS")
    # Deleting SALES, which a device is in, is refused and says why.
    page.locator('tr.cost-center[data-code="SALES"] .delete-form button').click()
    expect(page.locator(".messages li.error")).to_contain_text(
        "Kostenplaats SALES kan niet worden verwijderd"
    )
    assert CostCenter.objects.filter(pk=sales.pk).exists()
    # Assign two devices found by search, from today.
    expect(page.locator("#assign-device-table tr.assign-device")).to_have_count(3)
    page.fill("#assign-search", "Piet")
    expect(page.locator("#assign-device-table tr.assign-device")).to_have_count(1)
    page.fill("#assign-search", "")
    expect(page.locator("#assign-device-table tr.assign-device")).to_have_count(3)
    page.select_option("#assign-cost-center", "OPS")
    page.check(f"#pick-{phones[1].pk}")
    page.check(f"#pick-{phones[2].pk}")
    page.click("#assign-submit")
    expect(page.locator(".messages li.success")).to_contain_text("2 toestel(len) toegewezen")
    expect(page.locator('tr.cost-center[data-code="OPS"] .cc-devices')).to_have_text("2")
    assert (
        CostCenterAssignment.objects.filter(
            cost_center__code="OPS", valid_from=timezone.localdate()
        ).count()
        == 2
    )
    # The device's history.
    page.locator(f'tr.assign-device[data-msisdn="{phones[2].msisdn}"] .history-link').click()
    expect(page.locator("h1")).to_contain_text("Kostenplaatshistorie")
    expect(page.locator("tr.history-row")).to_have_count(1)
    expect(page.locator("tr.history-row")).to_contain_text("OPS — Operations")
    expect(page.locator("tr.history-row td").nth(1)).to_have_text("nu")
    # An unused cost center goes.
    page.click("#back-to-cost-centers")
    page.fill("#new-code", "TMP")
    page.fill("#new-name", "Tijdelijk")
    page.click("#cost-center-create button[type=submit]")
    page.locator('tr.cost-center[data-code="TMP"] .delete-form button').click()
    expect(page.locator(".messages li.success")).to_have_text("Kostenplaats TMP verwijderd.")
    expect(page.locator('tr.cost-center[data-code="TMP"]')).to_have_count(0)


def test_a_partner_manager_unassigns_all_devices_in_english(page, live_url, login, customer, world):
    sales, phones = world
    english(page, live_url)
    login(page, "partnermanager")
    page.goto(f"{live_url}/customers/{customer.pk}/cost-centers/")
    expect(page.locator("h1")).to_contain_text("Cost centers")
    page.select_option("#assign-cost-center", "-")
    page.fill("#assign-valid-from", "2026-06-01")
    page.check("#assign-check-all")
    page.click("#assign-submit")
    expect(page.locator(".messages li.success")).to_have_text(
        "3 device(s) assigned from 1 Jun 2026."
    )
    page.goto(f"{live_url}/customers/{customer.pk}/cost-centers/devices/{phones[0].pk}/")
    rows = page.locator("tr.history-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("No cost center (unassigned)")
    expect(rows.nth(1)).to_contain_text("SALES — Verkoop")
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("31 May 2026")


def test_staff_reach_the_page_from_admin_cost_centers(
    page, live_url, login, customer, staff_user, world
):
    english(page, live_url)
    login(page, "staff")
    page.goto(f"{live_url}/admin/cost-centers/{customer.pk}/")
    page.click("#manage-cost-centers")
    expect(page.locator("h1")).to_have_text(f"Cost centers — {customer.name}")
    expect(page.locator("#cost-center-create")).to_be_visible()
    page.fill("#new-code", "SALES")
    page.fill("#new-name", "Again")
    page.click("#cost-center-create button[type=submit]")
    expect(page.locator(".messages li.error")).to_have_text(
        "code: cost center SALES already exists"
    )


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_viewer_reads_without_edit_controls(
    page, live_url, login, customer, viewer, world, language
):
    if language == "en":
        english(page, live_url)
    login(page, "viewer")
    page.goto(f"{live_url}/customers/{customer.pk}/cost-centers/")
    expect(page.locator("#read-only-note")).to_be_visible()
    expect(page.locator("#read-only-note")).to_contain_text(
        "U kunt deze kostenplaatsen inzien" if language == "nl" else "You can read these"
    )
    expect(page.locator('tr.cost-center[data-code="SALES"] .cc-name')).to_have_text("Verkoop")
    expect(page.locator("#assign-device-table tr.assign-device")).to_have_count(3)
    expect(page.locator("#cost-center-create")).to_have_count(0)
    expect(page.locator(".rename-form, .delete-form, #assign-submit")).to_have_count(0)
    expect(page.locator('input[name="msisdns"]')).to_have_count(0)


def test_another_customers_user_gets_404(page, live_url, login, customer, outsider, world):
    login(page, "outsider")
    response = page.goto(f"{live_url}/customers/{customer.pk}/cost-centers/")
    assert response.status == 404
    response = page.goto(
        f"{live_url}/customers/{customer.pk}/cost-centers/devices/{world[1][0].pk}/"
    )
    assert response.status == 404
