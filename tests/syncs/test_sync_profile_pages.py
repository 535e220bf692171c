"""The Sync Profiles page and its forms over HTTP: staff create, edit, (de)activate, delete and
test; managers and viewers read; credentials never in the HTML; Dutch and English."""

import datetime as dt

import pytest
from django.test import Client

from telcost.syncs.credentials import credentials_decrypt
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.services import sync_manual_dispatch
from tests.syncs.conftest import PROFILE_SECRET

pytestmark = pytest.mark.django_db

SECRET = PROFILE_SECRET


def browser(user, language="nl") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_the_list_shows_last_sync_and_next_run_and_no_secret(profile, customer, manager):
    sync_manual_dispatch(profile=profile, cycle_start=dt.date(2026, 9, 1), user=manager)
    body = browser(manager).get(f"/customers/{customer.pk}/sync-profiles/").content.decode()
    assert SECRET not in body
    assert "manager" in body and "september 2026" in body  # who and which month, in Dutch
    assert "03:00" in body  # the next run, local time
    assert "ingesteld" in body  # the API key: set


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_managers_and_viewers_read_without_edit_controls(profile, customer, role, request):
    user = request.getfixturevalue(role)
    client = browser(user)
    body = client.get(f"/customers/{customer.pk}/sync-profiles/").content.decode()
    for control in (
        "new-profile-link",
        "edit-profile-link",
        "test-connection-button",
        "deactivate-button",
        "delete-profile-button",
    ):
        assert control not in body
    assert 'id="next-runs"' in body
    refused = [
        client.get(f"/customers/{customer.pk}/sync-profiles/new"),
        client.post(f"/customers/{customer.pk}/sync-profiles/new", {"provider": "routit"}),
        client.get(f"/sync-profiles/{profile.pk}/edit"),
        client.post(f"/sync-profiles/{profile.pk}/edit", {"name": "x"}),
        client.post(f"/sync-profiles/{profile.pk}/active", {"active": "0"}),
        client.post(f"/sync-profiles/{profile.pk}/delete"),
        client.post(f"/sync-profiles/{profile.pk}/test"),
        client.get("/sync-profiles/schedule-preview?schedule=0+3+*+*+*"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    profile.refresh_from_db()
    assert profile.name == "Provider X" and profile.active and profile.deleted_at is None
    assert SyncProfile.objects.count() == 1


def test_staff_create_a_profile_with_the_providers_own_fields(customer, staff_user, provider_sim):
    client = browser(staff_user)
    form = client.get(f"/customers/{customer.pk}/sync-profiles/new?provider=http_api")
    body = form.content.decode()
    assert 'name="settings.base_url"' in body and 'name="credentials.api_key"' in body
    assert 'name="settings.path"' not in body
    assert (
        'name="settings.path"'
        in client.get(
            f"/customers/{customer.pk}/sync-profiles/new?provider=file_drop"
        ).content.decode()
    )
    response = client.post(
        f"/customers/{customer.pk}/sync-profiles/new",
        {
            "provider": "http_api",
            "name": "Provider Z",
            "settings.base_url": provider_sim.base_url,
            "settings.timeout_s": "7,5",
            "credentials.api_key": SECRET,
            "schedule": "15 4 * * *",
            "active": "on",
        },
    )
    assert response.status_code == 302
    created = SyncProfile.objects.get(name="Provider Z")
    assert created.settings == {"base_url": provider_sim.base_url, "timeout_s": 7.5}
    assert credentials_decrypt(created.credentials_encrypted) == {"api_key": SECRET}
    assert created.schedule == "15 4 * * *" and created.active
    page = client.get(response["Location"]).content.decode()
    assert "Syncprofiel Provider Z aangemaakt." in page and SECRET not in page


def test_a_bad_form_is_400_beside_its_field_and_creates_nothing(customer, staff_user):
    response = browser(staff_user).post(
        f"/customers/{customer.pk}/sync-profiles/new",
        {
            "provider": "http_api",
            "name": "Bad",
            "settings.base_url": "ftp://nowhere",
            "credentials.api_key": SECRET,
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="error-settings-base_url"' in body and "http_api heeft een http(s)-URL nodig" in body
    assert SECRET not in body  # a secret typed is not sent back either
    assert not SyncProfile.objects.exists()


def test_editing_with_the_key_left_empty_keeps_it(profile, staff_user, provider_sim):
    client = browser(staff_user)
    form = client.get(f"/sync-profiles/{profile.pk}/edit").content.decode()
    assert SECRET not in form and "leeg laten om te behouden" in form
    assert provider_sim.base_url in form
    response = client.post(
        f"/sync-profiles/{profile.pk}/edit",
        {
            "name": "Renamed",
            "settings.base_url": provider_sim.base_url,
            "credentials.api_key": "",
            "schedule": "",
        },
    )
    assert response.status_code == 302
    profile = SyncProfile.objects.get(pk=profile.pk)
    assert profile.name == "Renamed" and profile.schedule == ""
    assert credentials_decrypt(profile.credentials_encrypted) == {"api_key": SECRET}
    client.post(
        f"/sync-profiles/{profile.pk}/edit",
        {
            "name": "Renamed",
            "settings.base_url": provider_sim.base_url,
            "credentials.api_key": "k2",
        },
    )
    profile.refresh_from_db()
    assert credentials_decrypt(profile.credentials_encrypted) == {"api_key": "k2"}


def test_a_bad_schedule_on_edit_changes_nothing(profile, staff_user, provider_sim):
    response = browser(staff_user, "en").post(
        f"/sync-profiles/{profile.pk}/edit",
        {"name": "Other", "settings.base_url": provider_sim.base_url, "schedule": "0 25 * * *"},
    )
    assert response.status_code == 400 and 'id="error-schedule"' in response.content.decode()
    profile.refresh_from_db()
    assert profile.name == "Provider X" and profile.schedule == "0 3 * * *"


def test_deactivate_activate_and_delete(profile, customer, staff_user, manager):
    task = sync_manual_dispatch(profile=profile, cycle_start=dt.date(2026, 9, 1), user=manager)
    client = browser(staff_user)
    client.post(f"/sync-profiles/{profile.pk}/active", {"active": "0"})
    assert not SyncProfile.objects.get(pk=profile.pk).active
    page = client.get(f"/customers/{customer.pk}/sync-profiles/").content.decode()
    assert 'id="activate-button"' in page and "zolang het profiel niet actief is" in page
    client.post(f"/sync-profiles/{profile.pk}/active", {"active": "1"})
    assert SyncProfile.objects.get(pk=profile.pk).active
    response = client.post(f"/sync-profiles/{profile.pk}/delete")
    assert response.status_code == 302
    assert not SyncProfile.objects.exists() and SyncTask.objects.filter(pk=task.pk).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Nog geen syncprofielen." in page and "blijven in de geschiedenis" in page
    # Its history stays readable: the deleted profile, how many syncs it had, the last one.
    assert 'id="deleted-profiles"' in page and "Verwijderde syncprofielen (1)" in page
    assert "Provider X" in page and "manager" in page


def test_the_schedule_preview_names_the_next_runs(staff_user):
    client = browser(staff_user, "en")
    body = client.get("/sync-profiles/schedule-preview", {"schedule": "0 3 * * *"}).content.decode()
    assert body.count("<li>") == 5 and body.count("03:00") == 5
    bad = client.get("/sync-profiles/schedule-preview", {"schedule": "0 3 * *"}).content.decode()
    assert "not a cron expression" in bad
    none = client.get("/sync-profiles/schedule-preview", {"schedule": ""}).content.decode()
    assert "No schedule" in none
    nl = browser(staff_user).get("/sync-profiles/schedule-preview", {"schedule": "0 3 * *"})
    assert "geen cron-expressie" in nl.content.decode()


def test_the_connection_test_fragment_in_both_languages(profile, staff_user):
    nl = browser(staff_user).post(f"/sync-profiles/{profile.pk}/test").content.decode()
    assert 'data-ok="1"' in nl and "Verbinding werkt" in nl and "de eerste pagina van" in nl
    SyncProfile.objects.filter(pk=profile.pk).update(settings={"base_url": "http://127.0.0.1:9"})
    en = browser(staff_user, "en").post(f"/sync-profiles/{profile.pk}/test").content.decode()
    assert 'data-ok="0"' in en and "the provider could not be reached" in en


def test_the_page_in_english(profile, customer, viewer):
    body = browser(viewer, "en").get(f"/customers/{customer.pk}/sync-profiles/").content.decode()
    assert "Next run" in body and "Last sync" in body and "never" in body
