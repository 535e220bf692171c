"""Staff keep a customer's sync profiles on the Sync Profiles page: create with the provider's
fields, preview the schedule, test the connection, edit (the key kept when left empty),
deactivate and delete. Managers and viewers read it without edit controls. Dutch and English."""

import pytest
from playwright.sync_api import expect

from telcost.syncs.credentials import credentials_decrypt
from telcost.syncs.models import SyncProfile
from telcost.syncs.profiles import sync_profile_create
from tests.browser.test_csp import watched  # noqa: F401 - a fixture
from tests.syncs.conftest import provider_sim  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY = "key-acme-browser"


def test_staff_create_edit_test_deactivate_and_delete_a_profile(
    watched, live_url, login, customer, staff_user, provider_sim, tmp_path
):
    page = watched
    login(page, "staff")
    page.goto(f"{live_url}/customers/{customer.pk}/sync-profiles/")
    expect(page.locator("#sync-profile-list")).to_contain_text("Nog geen syncprofielen.")

    page.click("#new-profile-link")
    expect(page.locator("#field-provider")).to_have_value("http_api")
    page.fill("#field-name", "Provider X")
    page.fill("#field-settings-base_url", provider_sim.base_url)
    page.fill("#field-credentials-api_key", KEY)
    # The schedule's next runs, previewed while typing; a bad one says why.
    page.fill("#field-schedule", "0 3 * *")
    expect(page.locator("#schedule-preview-error")).to_contain_text("geen cron-expressie")
    page.fill("#field-schedule", "0 3 * * *")
    expect(page.locator("#schedule-preview-runs li")).to_have_count(5)
    expect(page.locator("#schedule-preview-runs li").first).to_contain_text("03:00")
    page.screenshot(path=str(tmp_path / "sync-profile-form.png"), full_page=True)
    page.click("#save-profile")

    expect(page.locator(".messages")).to_contain_text("Syncprofiel Provider X aangemaakt.")
    row = page.locator("#sync-profile-list tbody tr").first
    expect(row).to_contain_text("Provider X")
    expect(row.locator(".profile-next-run")).to_contain_text("03:00")
    expect(row.locator(".profile-last-task")).to_contain_text("nooit")
    expect(page.locator("#next-runs li")).to_have_count(5)
    expect(page.locator(".credential-state")).to_have_text("ingesteld")
    assert KEY not in page.content()

    page.click("#test-connection-button")
    expect(page.locator("#test-outcome")).to_have_attribute("data-ok", "1")
    expect(page.locator("#test-outcome")).to_contain_text("Verbinding werkt: de eerste pagina van")
    page.screenshot(path=str(tmp_path / "sync-profiles.png"), full_page=True)

    # Edit: the key is not shown back, and left empty it is kept (the simulator accepts only
    # keys of its accounts, so the test after the edit proves it).
    page.click("#edit-profile-link")
    expect(page.locator("#field-credentials-api_key")).to_have_value("")
    expect(page.locator("#field-settings-base_url")).to_have_value(provider_sim.base_url)
    assert KEY not in page.content()
    page.fill("#field-name", "Provider Y")
    page.fill("#field-schedule", "")
    expect(page.locator("#schedule-preview-none")).to_be_visible()
    page.click("#save-profile")
    expect(page.locator(".messages")).to_contain_text("Syncprofiel Provider Y opgeslagen.")
    profile = SyncProfile.objects.get()
    assert profile.name == "Provider Y" and profile.schedule == ""
    assert credentials_decrypt(profile.credentials_encrypted) == {"api_key": KEY}
    page.click("#test-connection-button")
    expect(page.locator("#test-outcome")).to_have_attribute("data-ok", "1")

    page.click("#deactivate-button")
    expect(page.locator("#activate-button")).to_be_visible()
    expect(page.locator("#sync-profile-list .profile-active")).to_have_text("nee")
    expect(page.locator("#start-sync-button")).to_have_count(0)

    page.click("#delete-profile-button")
    expect(page.locator("dialog#delete-profile-dialog")).to_be_visible()
    expect(page.locator("dialog#delete-profile-dialog")).to_contain_text("geschiedenis")
    page.click("#delete-profile-confirm")
    expect(page.locator(".messages")).to_contain_text("Syncprofiel Provider Y verwijderd.")
    expect(page.locator("#sync-profile-list")).to_contain_text("Nog geen syncprofielen.")
    assert SyncProfile.with_deleted.get().deleted_at is not None
    page.check_csp("sync profiles")


def test_a_failing_connection_shows_a_neutral_message_in_english(
    page, live_url, login, customer, staff_user
):
    profile = sync_profile_create(
        customer=customer,
        name="Nowhere",
        provider="http_api",
        settings={"base_url": "http://127.0.0.1:9"},
        credentials={"api_key": KEY},
    )
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_url}])
    login(page, "staff")
    page.goto(f"{live_url}/customers/{customer.pk}/sync-profiles/?profile={profile.pk}")
    page.click("text=Test connection")
    expect(page.locator("#test-outcome")).to_have_attribute("data-ok", "0")
    expect(page.locator("#test-outcome")).to_have_text(
        "Connection failed: the provider could not be reached"
    )
    page.click("#edit-profile-link")
    expect(page.locator(".credential-state")).to_contain_text("set — leave empty to keep")
    page.fill("#field-settings-base_url", "ftp://nowhere")
    page.click("#save-profile")
    expect(page.locator("#error-settings-base_url")).to_have_text("http_api needs an http(s) URL")
    assert SyncProfile.objects.get().settings == {"base_url": "http://127.0.0.1:9"}


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_managers_and_viewers_read_the_profiles(page, live_url, login, customer, role, request):
    request.getfixturevalue(role)
    profile = sync_profile_create(
        customer=customer,
        name="Feed",
        provider="file_drop",
        settings={"path": "/tmp"},
        credentials={},
        schedule="30 2 * * 1",
    )
    login(page, role)
    page.goto(f"{live_url}/customers/{customer.pk}/sync-profiles/")
    expect(page.locator("#sync-profile-list")).to_contain_text("Feed")
    expect(page.locator("#next-runs li")).to_have_count(5)
    for control in (
        "#new-profile-link",
        "#edit-profile-link",
        "#test-connection-button",
        "#deactivate-button",
        "#delete-profile-button",
    ):
        expect(page.locator(control)).to_have_count(0)
    # Start sync stays the managers' (SYNC), not the viewers'.
    expect(page.locator("#start-sync-button")).to_have_count(1 if role == "manager" else 0)
    page.goto(f"{live_url}/sync-profiles/{profile.pk}/edit")
    expect(page.locator("h1")).to_have_text("Toegang geweigerd")
