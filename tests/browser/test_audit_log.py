"""Customer menu → Audit log, in Dutch: a manager filters the customer's entries; a viewer is
refused."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import CostCenterFactory, DeviceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_and_filters_the_audit_log_in_dutch(
    page, live_url, login, customer, manager, viewer
):
    device = DeviceFactory(customer=customer, msisdn="31655555555", label="Oud")
    CostCenterFactory(customer=customer, code="CC9", name="Verkoop")
    device.label = "Nieuw"
    device.save()
    login(page, "manager")
    page.goto(f"{live_url}/customers/{customer.pk}/audit/")
    expect(page.locator("h1")).to_contain_text("Auditlog")
    expect(page.locator("#audit-entries tbody tr.audit-entry").first).to_be_visible()
    page.select_option("#audit-object-type", "device")
    page.click("#audit-filter-submit")
    rows = page.locator("#audit-entries tbody tr.audit-entry")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".audit-action")).to_have_text("gewijzigd")
    expect(rows.nth(1).locator(".audit-action")).to_have_text("aangemaakt")
    expect(rows.nth(0).locator(".audit-object")).to_contain_text("Toestel 31655555555")
    expect(rows.nth(0).locator(".audit-changes")).to_have_text("Label: Oud → Nieuw")
    expect(rows.nth(0).locator(".audit-actor")).to_have_text("systeem")
    shown_at = rows.nth(0).locator(".audit-at").inner_text()
    assert "T" not in shown_at and re.search(r"\d{1,2}[-/]\d{1,2}[-/]\d{2,4}", shown_at), shown_at
    page.locator("#customer-menu summary").click()
    expect(page.locator("#audit-log-link")).to_have_text("Auditlog")
    page.context.clear_cookies()
    login(page, "viewer")
    response = page.goto(f"{live_url}/customers/{customer.pk}/audit/")
    assert response.status == 403
