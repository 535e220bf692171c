"""Customer menu → Alerts ("Meldingen") in a real browser at 390 px, in Dutch and English: the
month's fired alerts, the rules (create with a message beside a refused field, edit, delete after
a confirmation), read-only for a viewer; the usage page's banner and the partner overview's count.
Screenshots in $TELCOST_VAR_DIR/screens/alerts-*.png to look at."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from telcost.alerts.models import AlertRule
from telcost.usage.billing.alert_metrics import alerts_evaluate
from tests.alerts.helpers import rule
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.usage.cost_control.helpers import OCT, calculate, october

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
_OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _shot(page, name: str) -> None:
    base = Path(os.environ.get("TELCOST_VAR_DIR") or Path(__file__).resolve().parents[2] / "var")
    folder = base / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"alerts-{name}.png"), full_page=True)


@pytest.fixture
def month(live_url):
    made = october()
    customer = made["customer"]
    customer.partner = CustomerFactory(name="Reseller")
    customer.save()
    calculate(customer)
    for role in ("viewer", "manager"):
        user = UserFactory(username=f"datri-{role}")
        MembershipFactory(user=user, customer=customer, role=role)
    reseller = UserFactory(username="reseller-manager")
    MembershipFactory(user=reseller, customer=customer.partner, role="manager")
    rule(customer, name="Budget", threshold="60", language="nl")
    rule(customer, name="Dure toestellen", scope="device", threshold="12.60")
    rule(
        customer,
        name="Data Anna",
        metric="data_mb",
        scope="device",
        target="31600000001",
        threshold="2.5",
    )
    alerts_evaluate(customer=customer, cycle_start=OCT)
    return made


def test_a_manager_reads_the_alerts_and_writes_rules_at_390_px_in_dutch(
    page, live_url, login, month
):
    customer = month["customer"]
    page.set_viewport_size(PHONE)
    login(page, "datri-manager")
    page.goto(f"{live_url}/customers/{customer.pk}/usage/?month=2026-10")
    # The customer menu folds behind the menu button at this width.
    page.click("#menu-toggle")
    page.click("#customer-menu summary")
    page.click("#alerts-menu-link")
    expect(page.locator("h1")).to_contain_text("Meldingen")
    page.goto(f"{live_url}/customers/{customer.pk}/alerts/?month=2026-10")
    rows = page.locator("#alerts-table tbody tr")
    expect(rows).to_have_count(5)  # the total, three devices, Anna's data
    expect(page.locator("#alerts-table")).to_contain_text("€ 63,48")
    expect(page.locator("#alerts-table")).to_contain_text("3,00 MB")
    expect(page.locator("#alerts-table")).to_contain_text("Toestel 31600000004")
    assert page.evaluate(_OVERFLOW) <= 0
    _shot(page, "nl-manager-390")

    # A refused rule: the message beside the field, what was typed kept.
    page.fill("#id_name", "Roaming Eva")
    page.select_option("#id_metric", "roaming_cost")
    page.select_option("#id_scope", "device")
    page.fill("#id_target", "31600000005")
    page.fill("#id_threshold", "0,20")
    page.fill("#id_recipients", "eva@example.com\ngeen-adres")
    page.click("#rule-create-submit")
    expect(page.locator("#error-recipients")).to_contain_text("geen e-mailadres: geen-adres")
    expect(page.locator("#id_name")).to_have_value("Roaming Eva")
    assert page.evaluate(_OVERFLOW) <= 0
    _shot(page, "nl-manager-390-refused")
    page.fill("#id_recipients", "eva@example.com")
    page.click("#rule-create-submit")
    expect(page.locator(".messages")).to_contain_text("Meldingsregel “Roaming Eva” aangemaakt.")
    made = AlertRule.objects.get(name="Roaming Eva")
    assert (made.target, str(made.threshold), made.language) == ("31600000005", "0.2000", "nl")

    # Edit: the threshold as Dutch writes it.
    page.locator(f'tr[data-rule-id="{made.pk}"] a.button').click()
    expect(page.locator("#id_threshold")).to_have_value("0,2")
    page.fill("#id_threshold", "1.000,5")
    page.click("#rule-save")
    expect(page.locator(".messages")).to_contain_text("opgeslagen")
    expect(page.locator(f'tr[data-rule-id="{made.pk}"]')).to_contain_text("€ 1.000,50")

    # Delete: only after the confirmation.
    row = page.locator(f'tr[data-rule-id="{made.pk}"]')
    row.locator("button.danger").first.click()
    dialog = page.locator(f"#delete-rule-{made.pk}")
    expect(dialog).to_be_visible()
    _shot(page, "nl-manager-390-delete")
    dialog.locator("[data-close-dialog]").click()
    expect(dialog).to_be_hidden()
    assert AlertRule.objects.live().filter(pk=made.pk).exists()
    row.locator("button.danger").first.click()
    dialog.locator("button.confirm-delete").click()
    expect(page.locator(".messages")).to_contain_text("verwijderd")
    expect(page.locator(f'tr[data-rule-id="{made.pk}"]')).to_have_count(0)


def test_a_viewer_reads_in_english_at_390_px_and_sees_the_banner(page, live_url, login, month):
    customer = month["customer"]
    page.set_viewport_size(PHONE)
    login(page, "datri-viewer")
    page.goto(f"{live_url}/customers/{customer.pk}/usage/?month=2026-10")
    banner = page.locator("#alerts-banner")
    expect(banner).to_contain_text("5 meldingen afgegaan in oktober 2026")
    expect(banner).to_contain_text("Budget — Hele klant: € 63,48 > € 60,00")
    assert page.evaluate(_OVERFLOW) <= 0
    _shot(page, "nl-viewer-390-usage-banner")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_url}])
    page.reload()
    expect(banner).to_contain_text("5 alerts fired in October 2026")
    _shot(page, "en-viewer-390-usage-banner")
    page.click("#alerts-banner-link")
    expect(page.locator("h1")).to_contain_text("Alerts")
    expect(page.locator("#alerts-table")).to_contain_text("€63.48")
    expect(page.locator("#alerts-table")).to_contain_text("3.00 MB")
    expect(page.locator("#read-only-note")).to_be_visible()
    expect(page.locator("#rule-create")).to_have_count(0)
    expect(page.locator("#rules-table button")).to_have_count(0)
    assert page.evaluate(_OVERFLOW) <= 0
    _shot(page, "en-viewer-390")


def test_an_english_manager_at_390_px(page, live_url, login, month):
    customer = month["customer"]
    page.set_viewport_size(PHONE)
    login(page, "datri-manager")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_url}])
    page.goto(f"{live_url}/customers/{customer.pk}/alerts/?month=2026-10")
    expect(page.locator("#id_language")).to_have_value("en")
    page.fill("#id_name", "OPS")
    page.select_option("#id_scope", "cost_center")
    page.fill("#id_target", "NOPE")
    page.fill("#id_threshold", "-1")
    page.fill("#id_recipients", "ops@example.com")
    page.click("#rule-create-submit")
    expect(page.locator("#error-threshold")).to_be_visible()
    assert page.evaluate(_OVERFLOW) <= 0
    _shot(page, "en-manager-390-refused")
    page.fill("#id_threshold", "1,500.50")
    page.click("#rule-create-submit")
    expect(page.locator("#error-target")).to_contain_text("NOPE is not a cost center")
    page.fill("#id_target", "OPS")
    page.click("#rule-create-submit")
    expect(page.locator(".messages")).to_contain_text("Alert rule “OPS” created.")
    expect(page.locator("#rules-table")).to_contain_text("€1,500.50")
    _shot(page, "en-manager-390")


def test_the_partner_overview_counts_the_alerts(page, live_url, login, month):
    customer = month["customer"]
    login(page, "reseller-manager")
    page.goto(f"{live_url}/partners/{customer.partner_id}/overview/?month=2026-10")
    cell = page.locator(f'tr[data-customer-id="{customer.pk}"] td.partner-alerts')
    expect(cell).to_have_text("5")
    _shot(page, "nl-partner-overview")
    cell.locator("a").click()
    expect(page.locator("#alerts-table tbody tr")).to_have_count(5)
    # A partner's manager edits its customers' rules.
    expect(page.locator("#rule-create")).to_be_visible()
    _shot(page, "nl-reseller-1280")
