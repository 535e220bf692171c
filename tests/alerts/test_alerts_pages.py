"""Customer menu → Alerts, the usage page's banner and the partner overview's count, in Dutch and
English, for each role."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from telcost.alerts.models import Alert, AlertRule
from tests.alerts.helpers import rule
from tests.factories import (
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)


@pytest.fixture
def shop(db):
    partner = CustomerFactory(name="Reseller")
    customer = CustomerFactory(name="Shop", partner=partner)
    CostCenterFactory(customer=customer, code="SALES", name="Sales")
    DeviceFactory(customer=customer, msisdn="31612345678", label="Anna")
    return customer


def member(customer, role):
    user = UserFactory(username=f"{role}-{customer.pk}")
    MembershipFactory(user=user, customer=customer, role=role)
    return user


def browser(user, language="nl") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def page(customer, month="2026-10") -> str:
    return f"/customers/{customer.pk}/alerts/?month={month}"


def form(**changes) -> dict:
    return {
        "name": "Roaming",
        "metric": "roaming_cost",
        "scope": "customer",
        "target": "",
        "threshold": "100,50",
        "recipients": "finance@example.com\nboss@example.com",
        "language": "nl",
        "active": "on",
        **changes,
    }


@pytest.fixture
def fired(shop):
    total = rule(shop, name="Budget", threshold="1000")
    data = rule(
        shop,
        name="Anna data",
        metric="data_mb",
        scope="device",
        target="31612345678",
        threshold="1024",
    )
    Alert.objects.create(rule=total, customer=shop, cycle_start=OCT, value="1234.5", threshold=1000)
    Alert.objects.create(
        rule=data,
        customer=shop,
        cycle_start=OCT,
        target="31612345678",
        value="2048",
        threshold=1024,
    )
    return {"total": total, "data": data}


def test_the_page_shows_the_months_alerts_and_the_rules_in_dutch(shop, fired):
    body = browser(member(shop, "viewer")).get(page(shop)).content.decode()
    assert "Meldingen van oktober 2026" in body
    assert "€ 1.234,50" in body and "€ 1.000,00" in body  # value and threshold
    assert "2,00 GB" in body and "1,00 GB" in body  # 2048 MB and 1024 MB
    assert "Toestel 31612345678" in body and "Hele klant" in body
    assert "Meldingsregels" in body and "Budget" in body
    # A viewer reads: no form, no edit or delete.
    assert 'id="read-only-note"' in body
    assert 'id="rule-create"' not in body and "Verwijderen" not in body


def test_the_page_in_english(shop, fired):
    body = browser(member(shop, "viewer"), "en").get(page(shop)).content.decode()
    assert "Alerts of October 2026" in body and "€1,234.50" in body and "2.00 GB" in body
    assert "Device 31612345678" in body and "Whole customer" in body


def test_another_month_without_alerts(shop, fired):
    body = browser(member(shop, "viewer")).get(page(shop, "2026-09")).content.decode()
    assert 'id="no-alerts"' in body and "€ 1.234,50" not in body


def test_a_manager_creates_a_rule_with_the_threshold_as_dutch_writes_it(shop):
    client = browser(member(shop, "manager"))
    body = client.get(page(shop)).content.decode()
    assert 'id="rule-create"' in body
    # The mail's language defaults to the reader's.
    assert '<option value="nl" selected>' in body
    response = client.post(f"/customers/{shop.pk}/alerts/rules/new?month=2026-10", form())
    assert response.status_code == 302 and response["Location"] == page(shop)
    made = AlertRule.objects.get()
    assert (made.threshold, made.recipients, made.language, made.active) == (
        100.5,
        ["finance@example.com", "boss@example.com"],
        "nl",
        True,
    )
    assert "Meldingsregel “Roaming” aangemaakt." in client.get(page(shop)).content.decode()


def test_an_english_reader_gets_english_as_the_mails_default(shop):
    body = browser(member(shop, "manager"), "en").get(page(shop)).content.decode()
    assert '<option value="en" selected>' in body


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"threshold": "-1"}, "threshold", "minstens 0"),
        ({"threshold": "veel"}, "threshold", "getal"),
        ({"recipients": "geen-adres"}, "recipients", "geen e-mailadres: geen-adres"),
        (
            {"scope": "cost_center", "target": "NOPE"},
            "target",
            "NOPE is geen kostenplaats van deze klant",
        ),
        (
            {"scope": "device", "target": "31600000000"},
            "target",
            "31600000000 is geen toestel van deze klant",
        ),
        ({"name": ""}, "name", "verplicht"),
    ],
)
def test_a_refused_rule_shows_its_message_beside_the_field(shop, changes, field, message):
    client = browser(member(shop, "manager"))
    response = client.post(f"/customers/{shop.pk}/alerts/rules/new", form(**changes))
    assert response.status_code == 400
    body = response.content.decode()
    start = body.index(f'id="error-{field}"')
    assert message in body[start : start + 300], body[start : start + 300]
    assert 'value="Roaming"' in body or field == "name"  # what was typed stays
    assert not AlertRule.objects.exists()


def test_a_manager_edits_and_deletes_a_rule(shop, fired):
    client = browser(member(shop, "manager"))
    edit = f"/customers/{shop.pk}/alerts/rules/{fired['total'].pk}/"
    body = client.get(edit).content.decode()
    assert 'value="Budget"' in body and 'value="1000"' in body
    response = client.post(edit, form(name="Budget 2", metric="total_cost", threshold="1.500"))
    assert response.status_code == 302
    fired["total"].refresh_from_db()
    assert (fired["total"].name, fired["total"].threshold) == ("Budget 2", 1500)
    # English writes the thousands with a comma.
    english = browser(member(shop.partner, "manager"), "en")
    assert english.post(edit, form(name="Budget 2", metric="total_cost", threshold="2,500.25"))
    fired["total"].refresh_from_db()
    assert fired["total"].threshold == Decimal("2500.25")
    bad = client.post(edit, form(threshold="-3"))
    assert bad.status_code == 400 and 'id="error-threshold"' in bad.content.decode()
    response = client.post(f"/customers/{shop.pk}/alerts/rules/{fired['total'].pk}/delete")
    assert response.status_code == 302
    body = client.get(page(shop)).content.decode()
    assert "Meldingsregel “Budget 2” verwijderd." in body
    # Its alert stays, marked as a deleted rule's.
    assert "€ 1.234,50" in body and "verwijderde regel" in body


def test_viewers_may_not_write_and_strangers_see_nothing(shop, fired):
    rule_url = f"/customers/{shop.pk}/alerts/rules/{fired['total'].pk}/"
    viewer = browser(member(shop, "viewer"))
    assert viewer.post(f"/customers/{shop.pk}/alerts/rules/new", form()).status_code == 403
    assert viewer.get(rule_url).status_code == 403
    assert viewer.post(f"{rule_url}delete").status_code == 403
    stranger = browser(member(CustomerFactory(name="Other"), "manager"))
    assert stranger.get(page(shop)).status_code == 404
    assert stranger.post(f"{rule_url}delete").status_code == 404
    # A rule under another customer's address is not found either.
    other = CustomerFactory(name="Mine")
    mine = browser(member(other, "manager"))
    assert mine.get(f"/customers/{other.pk}/alerts/rules/{fired['total'].pk}/").status_code == 404
    assert AlertRule.objects.live().count() == 2


def test_staff_and_partner_managers_edit(shop, staff_user):
    for user in (staff_user, member(shop.partner, "manager")):
        body = browser(user).get(page(shop)).content.decode()
        assert 'id="rule-create"' in body


def test_the_customer_menu_links_the_page(shop):
    client = browser(member(shop, "viewer"))
    body = client.get(f"/customers/{shop.pk}/usage/").content.decode()
    assert f'href="/customers/{shop.pk}/alerts/" id="alerts-menu-link">Meldingen<' in body


def test_the_usage_page_shows_a_banner_for_the_months_alerts(shop, fired):
    client = browser(member(shop, "viewer"))
    body = client.get(f"/customers/{shop.pk}/usage/?month=2026-10").content.decode()
    assert 'id="alerts-banner"' in body
    assert "2 meldingen afgegaan in oktober 2026" in body
    assert "Budget — Hele klant: € 1.234,50 &gt; € 1.000,00" in body
    assert f'href="/customers/{shop.pk}/alerts/?month=2026-10"' in body
    english = browser(member(shop, "manager"), "en").get(
        f"/customers/{shop.pk}/usage/?month=2026-10"
    )
    assert "2 alerts fired in October 2026" in english.content.decode()
    # The month part the picker swaps in carries it too; another month has none.
    part = client.get(
        f"/customers/{shop.pk}/usage/?month=2026-09",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="usage-month",
    ).content.decode()
    assert 'id="alerts-banner"' not in part


def test_the_partner_overview_counts_the_months_alerts(api_client, shop, fired):
    sibling = CustomerFactory(name="Quiet", partner=shop.partner)
    partner_manager = member(shop.partner, "manager")
    rows = (
        api_client(partner_manager)
        .get(f"/api/partners/{shop.partner.pk}/overview", {"month": "2026-10"})
        .json()
    )
    assert {row["name"]: row["alerts"] for row in rows} == {"Shop": 2, "Quiet": 0}
    rows = (
        api_client(partner_manager)
        .get(f"/api/partners/{shop.partner.pk}/overview", {"month": "2026-09"})
        .json()
    )
    assert {row["name"]: row["alerts"] for row in rows} == {"Shop": 0, "Quiet": 0}
    body = (
        browser(partner_manager)
        .get(f"/partners/{shop.partner.pk}/overview/?month=2026-10")
        .content.decode()
    )
    assert f'href="/customers/{shop.pk}/alerts/?month=2026-10">2</a>' in body
    assert sibling.pk
