"""My account's "Monthly reports" in a real browser: a viewer subscribes to a customer they see,
changes the day, pauses, resumes and unsubscribes (Dutch, 390 px); in English the language
defaults to English and the last month sent shows as words (1366 px)."""

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from telcost.reports.models import ReportSubscription
from tests.factories import CustomerFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(name: str) -> str:
    folder = Path(os.environ.get("TELCOST_VAR_DIR") or "var") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{name}.png")


def test_a_viewer_subscribes_changes_pauses_and_unsubscribes_in_dutch_on_a_phone(
    page, live_url, login, customer, viewer
):
    CustomerFactory(name="Not mine BV")
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "viewer")
    page.goto(f"{live_url}/account/")
    section = page.locator("#reports")
    expect(section.locator("h2")).to_have_text("Maandrapporten")
    expect(section).to_contain_text("U ontvangt geen maandrapporten.")
    expect(section).to_contain_text("dag 1 tot en met 28")
    # Only the customers the viewer may see; the language is the page's.
    options = section.locator("#id_customer option")
    expect(options).to_contain_text(["Acme BV"])
    expect(section.locator("#id_customer")).not_to_contain_text("Not mine BV")
    expect(section.locator("#id_language")).to_have_value("nl")
    page.select_option("#id_customer", label="Acme BV")
    page.select_option("#id_day_of_month", "5")
    page.click("#report-subscribe")
    row = section.locator(".report-subscription")
    expect(row).to_have_count(1)
    expect(row.locator(".report-customer")).to_contain_text("Acme BV")
    expect(row.locator(".report-last")).to_have_text("Laatst verstuurde maand: nog geen")
    expect(row.locator(".report-next")).to_contain_text("Volgend rapport:")
    expect(section.locator("#report-subscribe-form")).to_have_count(0)  # nothing left to add
    subscription = ReportSubscription.objects.get()
    assert (subscription.user, subscription.day_of_month, subscription.language) == (
        viewer,
        5,
        "nl",
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=_shot("reports-account-nl-390"), full_page=True)

    row.locator(".report-day").select_option("12")
    row.locator(".report-language").select_option("en")
    row.locator(".report-save").click()
    expect(section.locator("#report-done")).to_have_text("Uw maandrapport is gewijzigd.")
    expect(row.locator(".report-day")).to_have_value("12")
    subscription.refresh_from_db()
    assert (subscription.day_of_month, subscription.language) == (12, "en")

    row.locator(".report-pause").click()
    expect(row.locator(".report-paused")).to_have_text("gepauzeerd")
    expect(row.locator(".report-next")).to_have_text("Gepauzeerd: geen rapporten tot u hervat.")
    page.screenshot(path=_shot("reports-account-paused-nl-390"), full_page=True)
    row.locator(".report-resume").click()
    expect(row.locator(".report-pause")).to_be_visible()
    expect(row.locator(".report-paused")).to_have_count(0)
    assert ReportSubscription.objects.get().active is True

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator(".report-delete").click()
    expect(section).to_contain_text("U ontvangt geen maandrapporten.")
    assert not ReportSubscription.objects.exists()


def test_in_english_the_language_defaults_to_english_and_the_last_month_shows_in_words(
    page, live_url, login, customer, manager
):
    other = CustomerFactory(name="Zeta BV")
    MembershipFactory(user=manager, customer=other, role="viewer")
    ReportSubscription.objects.create(
        user=manager,
        customer=customer,
        day_of_month=3,
        language="nl",
        last_sent_cycle=dt.date(2026, 10, 1),
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "manager")
    page.goto(f"{live_url}/account/")
    page.click("#language-switcher button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    section = page.locator("#reports")
    expect(section.locator("h2")).to_have_text("Monthly reports")
    row = section.locator(".report-subscription")
    expect(row.locator(".report-last")).to_have_text("Last month sent: October 2026")
    expect(row.locator(".report-language")).to_have_value("nl")
    expect(section.locator("#id_language")).to_have_value("en")
    expect(section.locator("#id_customer option")).to_have_text(["choose a customer", "Zeta BV"])
    page.select_option("#id_customer", label="Zeta BV")
    page.click("#report-subscribe")
    expect(section.locator(".report-subscription")).to_have_count(2)
    assert ReportSubscription.objects.get(customer=other).language == "en"
    page.screenshot(path=_shot("reports-account-en-1366"), full_page=True)
