"""Navigation and errors in a real browser (issue 17 items 6 and 9), in Dutch and English: an
emailed download link opened logged out goes through the login to the file; dialogs work with
the keyboard (focus inside, Escape, focus back); a paid addon asks before it is activated; the
recalculation form without a month says so; the sync history reloads when a sync ends.
"""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from playwright.sync_api import expect

from telcost.addons.models import AddonLog
from telcost.exports.models import ExportJob
from telcost.jobs.models import Job
from telcost.syncs.models import SyncTask
from tests.web.finance_month import finance_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def month(live_url, drain_jobs):
    return finance_month(drain_jobs)


def _english(page, live_url):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_url}])


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_download_link_opened_logged_out_goes_through_the_login_to_the_file(
    page, live_url, month, language
):
    from django.contrib.auth import get_user_model

    manager = get_user_model().objects.get(username="manager")
    export = ExportJob.objects.create(
        customer=month.customer,
        requested_by=manager,
        cycle_start_date=dt.date(2026, 9, 1),
        kind="totals",
        format="csv",
        status="completed",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    export.file_name = default_storage.save(
        f"exports/{export.pk}/totals.csv", ContentFile(b"Device,Cost\r\n")
    )
    export.save()
    if language == "en":
        _english(page, live_url)
    page.goto(f"{live_url}/download/export/{export.pk}")
    page.wait_for_url(f"**/login/?next=/download/export/{export.pk}")
    expect(page.locator("h1")).to_have_text("Inloggen" if language == "nl" else "Log in")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "secret-pass-1")
    with page.expect_download() as download:
        page.click("#login-submit")
    assert download.value.suggested_filename == export.download_name
    with open(download.value.path(), "rb") as handle:
        assert handle.read() == b"Device,Cost\r\n"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_paid_addon_asks_first_and_the_dialog_works_with_the_keyboard(
    page, live_url, login, month, language
):
    if language == "en":
        _english(page, live_url)
    login(page, "reseller")
    page.goto(f"{live_url}/admin/sim-cards/simacties/?customer_id={month.customer.pk}")
    before = Job.objects.filter(kind="addons_activate").count()
    page.select_option("#addon-type", "eu_roaming")
    page.select_option("#addon-action", "activate")
    page.focus("#addon-submit")
    page.keyboard.press("Enter")
    dialog = page.locator("#addon-confirm-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#addon-confirm-addon")).to_have_text(
        "EU-roamingbundel" if language == "nl" else "EU roaming bundle"
    )
    expect(page.locator("#addon-confirm-customer")).to_have_text("Acme BV")
    expect(page.locator("#addon-confirm-agree")).to_be_focused()
    page.keyboard.press("Escape")  # no, thank you
    expect(dialog).to_be_hidden()
    expect(page.locator("#addon-submit")).to_be_focused()
    page.wait_for_timeout(300)
    assert Job.objects.filter(kind="addons_activate").count() == before
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Enter")  # the focused "Activate"
    expect(dialog).to_be_hidden()
    expect(page.locator("#simacties-result")).not_to_be_empty()
    assert Job.objects.filter(kind="addons_activate").count() == before + 1
    # A cancellation costs nothing: no question (a fresh page: the button waits for the job).
    page.reload()
    page.select_option("#addon-type", "data_boost")
    page.select_option("#addon-action", "cancel")
    page.click("#addon-submit")
    expect(page.locator("#simacties-result")).to_contain_text(
        "Bezig" if language == "nl" else "Working"
    )
    expect(dialog).to_be_hidden()
    assert AddonLog.objects.filter(action="cancel", outcome="pending").exists()


def test_the_start_sync_dialog_takes_the_focus_and_gives_it_back(page, live_url, login, month):
    login(page, "manager")
    page.goto(f"{live_url}/customers/{month.customer.pk}/sync-profiles/")
    page.focus("#start-sync-button")
    page.keyboard.press("Enter")
    dialog = page.locator("#start-sync-dialog")
    expect(dialog).to_be_visible()
    assert page.evaluate("() => document.activeElement.closest('dialog')?.id") == (
        "start-sync-dialog"
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#start-sync-button")).to_be_focused()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_recalculation_form_without_a_month_says_so(page, live_url, login, month, language):
    if language == "en":
        _english(page, live_url)
    login(page, "staff")
    page.goto(f"{live_url}/admin/syncs/recalculate-totals/")
    expect(page.locator("#recalc-customer")).to_have_value(str(month.customer.pk))
    page.fill("#recalc-start", "")
    page.click("#recalc-open-confirm")
    note = page.locator("#recalc-no-month")
    expect(note).to_be_visible()
    expect(note).to_have_text(
        "Kies eerst de maand die u wilt herberekenen."
        if language == "nl"
        else "Choose the month to recalculate first."
    )
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    expect(page.locator("#recalc-start")).to_be_focused()
    page.fill("#recalc-start", "2026-09")
    page.click("#recalc-open-confirm")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(note).to_be_hidden()


def test_the_sync_history_reloads_when_the_sync_ends(page, live_url, login, month):
    running = SyncTask.objects.create(
        profile=month.profile,
        cycle_start=dt.date(2026, 10, 1),
        status=SyncTask.Status.RUNNING,
        manual_trigger=True,
        started_at=timezone.now(),
    )
    login(page, "manager")
    page.goto(f"{live_url}/customers/{month.customer.pk}/sync-profiles/")
    row = page.locator(f"#sync-tasks tr[data-task-id='{running.pk}']")
    expect(row.locator("[data-status-code]")).to_have_attribute("data-status-code", "running")
    expect(page.locator("#start-sync-button")).to_have_count(0)  # one sync at a time
    SyncTask.objects.filter(pk=running.pk).update(
        status=SyncTask.Status.COMPLETED, imported=4321, finished_at=timezone.now()
    )
    expect(page.locator("#sync-status .sync-task")).to_have_attribute("data-status", "completed")
    expect(row.locator("[data-status-code]")).to_have_attribute(
        "data-status-code", "completed", timeout=5000
    )
    expect(row).to_contain_text("4.321")
    expect(page.locator("#sync-tasks")).to_contain_text("planning")  # the fixture's sync
    expect(page.locator("#start-sync-button")).to_be_visible()  # and a next one may start
