"""Sync Profiles page: select a profile, Start sync, pick a month, Start, watch the counts live."""

import pytest
from playwright.sync_api import expect

from telcost.syncs.profiles import sync_profile_create
from tests.syncs.conftest import provider_sim  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_start_a_sync_and_watch_it_complete(
    page, live_url, login, customer, manager, provider_sim, start_worker
):
    inactive = sync_profile_create(
        customer=customer,
        name="Old feed",
        provider="file_drop",
        settings={"path": "/tmp"},
        credentials={},
        active=False,
    )
    profile = sync_profile_create(
        customer=customer,
        name="Provider X",
        provider="http_api",
        settings={"base_url": provider_sim.base_url},
        credentials={"api_key": "key-acme"},
    )
    login(page, "manager")
    page.goto(f"{live_url}/customers/{customer.pk}/sync-profiles/?profile={inactive.pk}")
    expect(page.locator("#start-sync-button")).to_have_count(0)
    page.click("#sync-profile-list >> text=Provider X")
    page.click("#start-sync-button")
    expect(page.locator("dialog#start-sync-dialog")).to_be_visible()
    page.select_option("#sync-month", index=1)
    page.click("#start-sync-submit")
    expect(page.locator(".sync-task")).to_have_attribute("data-status", "pending")
    expect(page.locator("#start-sync-button")).to_be_hidden()
    page.reload()  # the server, too, knows a sync is waiting: no button, the live status instead
    expect(page.locator("#start-sync-button")).to_have_count(0)
    expect(page.locator(".sync-task")).to_have_attribute("data-status", "pending")
    start_worker()
    expect(page.locator(".sync-task")).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(page.locator(".count-imported")).to_have_text("250")
    expect(page.locator(".sync-task [data-status-code]")).to_have_text(
        "voltooid"
    )  # Dutch by default
    page.reload()
    expect(page.locator("#sync-tasks tbody tr")).to_have_count(1)
    expect(page.locator("#start-sync-button")).to_be_visible()  # nothing runs any more
    assert profile.tasks.get().imported == 250


def test_a_failed_sync_shows_its_reason(
    page, live_url, login, customer, manager, provider_sim, start_worker
):
    sync_profile_create(
        customer=customer,
        name="Wrong key",
        provider="http_api",
        settings={"base_url": provider_sim.base_url},
        credentials={"api_key": "wrong"},
    )
    login(page, "manager")
    page.goto(f"{live_url}/customers/{customer.pk}/sync-profiles/")
    page.click("#start-sync-button")
    page.click("#start-sync-submit")
    start_worker()
    expect(page.locator(".sync-error")).to_contain_text(
        "weigerde de inloggegevens", timeout=30_000
    )  # Dutch page
