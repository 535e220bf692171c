"""Simacties: activate, cancel and the rate-limit message, in a real browser with a real worker."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from telcost.addons.models import AddonLog, NinaRequestLimit
from telcost.jobs.models import Job
from tests.addons.conftest import nina, reseller_world  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_activate_cancel_and_too_many_requests(
    page, live_url, login, nina, reseller_world, start_worker
):
    _, customer, _ = reseller_world
    start_worker(NINA_API_URL=nina.base_url, NINA_API_KEY="test-nina-key")
    login(page, "reseller")
    page.goto(f"{live_url}/admin/sim-cards/simacties/?customer_id={customer.pk}")
    expect(page.locator("h1")).to_contain_text("Simacties")
    page.select_option("#addon-type", "data_boost")
    page.select_option("#addon-action", "activate")
    page.click("#addon-submit")
    page.click("#addon-confirm-agree")  # a paid addon asks first
    expect(page.locator(".addon-success")).to_be_visible(timeout=20_000)
    expect(page.locator("#addons-table .addon-active")).to_have_count(1)
    page.select_option("#addon-action", "cancel")
    page.click("#addon-submit")
    expect(page.locator(".addon-success")).to_contain_text(
        "opgezegd", timeout=20_000
    )  # "cancelled", in Dutch
    # "Current addons" are the active ones: the cancelled one is in the history.
    expect(page.locator("#addons-table .addon-active")).to_have_count(0)
    expect(page.locator("#addon-history")).to_contain_text("opzegging")
    NinaRequestLimit.objects.bulk_create(
        [NinaRequestLimit(customer=customer, request_time=timezone.now()) for _ in range(10)]
    )
    page.select_option("#addon-action", "activate")
    page.click("#addon-submit")
    page.click("#addon-confirm-agree")
    expect(page.locator(".addon-result.error")).to_have_text(
        re.compile(
            r"Te veel verzoeken: maximaal 10 per minuut\. Probeer het over (59|60) seconden "
            r"opnieuw\."
        )
    )
    expect(page.locator("#addon-submit")).to_be_enabled()


def test_api_failure_is_shown(page, live_url, login, nina, reseller_world, start_worker):  # noqa: F811
    _, customer, _ = reseller_world
    nina.misbehave("500")
    start_worker(NINA_API_URL=nina.base_url, NINA_API_KEY="test-nina-key")
    login(page, "reseller")
    page.goto(f"{live_url}/admin/sim-cards/simacties/?customer_id={customer.pk}")
    page.click("#addon-submit")
    page.click("#addon-confirm-agree")
    expect(page.locator(".addon-failed")).to_contain_text("API failure", timeout=20_000)


def test_a_double_click_sends_one_request_and_the_button_waits_for_its_end(
    page,
    live_url,
    login,
    nina,
    reseller_world,
    start_worker,  # noqa: F811
):
    _, customer, _ = reseller_world
    login(page, "reseller")
    page.goto(f"{live_url}/admin/sim-cards/simacties/?customer_id={customer.pk}")
    page.click("#addon-submit")
    page.dblclick("#addon-confirm-agree")  # a paid addon asks first; the answer double-clicked
    expect(page.locator(".addon-pending")).to_be_visible()
    # No worker yet: the request stays pending, and so does the button.
    expect(page.locator("#addon-submit")).to_be_disabled()
    page.wait_for_timeout(1200)
    expect(page.locator("#addon-submit")).to_be_disabled()
    assert Job.objects.count() == 1 and AddonLog.objects.count() == 1
    start_worker(NINA_API_URL=nina.base_url, NINA_API_KEY="test-nina-key")
    expect(page.locator(".addon-success")).to_be_visible(timeout=20_000)
    expect(page.locator("#addon-submit")).to_be_enabled()
    assert (
        nina.state.calls == 1
        and sum(e["status"] == "active" for e in nina.state.addons["RT42"]) == 1
    )
