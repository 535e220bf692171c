"""Navigation and errors (issue 17 item 6), through Django's client on real requests: styled
403/404/500 pages with a way back, for every 403 path; a download link opened while logged out;
the page's customer in the picker; a partner range's cancelled parts; the single customer's
range; the sync history's when and who; only active addons as current; the rate limit's time.
"""

import datetime as dt
import re

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from telcost.accounts.models import Membership
from telcost.exports.models import ExportJob
from telcost.jobs.models import Job
from telcost.jobs.services import job_cancel
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.usage.recalculation.partner import partner_recalculation_dispatch
from telcost.web.views import server_error
from tests.factories import CustomerFactory, DeviceFactory, UserFactory
from tests.web.finance_month import finance_month

pytestmark = pytest.mark.django_db


def logged_in(user, language: str | None = None, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


def _styled_with_a_way_back(html: str, back: str) -> None:
    assert '<link rel="stylesheet" href="/static/web/telcost.css' in html
    assert 'class="topbar"' in html
    assert re.search(rf'<a href="{re.escape(back)}">[^<]+</a>', html), html


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_permission_denied_page_is_the_styled_403_with_a_way_back(viewer, language):
    response = logged_in(viewer, language).get("/admin/syncs/recalculate-totals/")
    assert response.status_code == 403
    html = response.content.decode()
    _styled_with_a_way_back(html, "/overview/")
    assert ("Toegang geweigerd" if language == "nl" else "Access denied") in html
    assert "403 Forbidden" not in html


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_missing_page_is_the_styled_404(viewer, language):
    response = logged_in(viewer, language).get("/no-such-page/")
    assert response.status_code == 404
    _styled_with_a_way_back(response.content.decode(), "/overview/")


def test_a_csrf_failure_is_the_styled_403(viewer):
    client = logged_in(viewer, enforce_csrf_checks=True)
    response = client.post("/switch-customer/", {"customer_id": "1", "next": "/"})
    assert response.status_code == 403
    html = response.content.decode()
    _styled_with_a_way_back(html, "/")
    assert "Het formulier is verlopen" in html


def test_an_export_refused_for_a_viewer_says_so_in_dutch(customer, viewer):
    response = logged_in(viewer).post(
        f"/customers/{customer.pk}/exports/start", {"date": "2026-09-01", "kind": "totals"}
    )
    assert response.status_code == 403 and "Toegang geweigerd" in response.content.decode()


def test_the_500_page_is_styled_with_a_way_back():
    request = RequestFactory().get("/overview/")
    html = server_error(request).content.decode()
    assert '<link rel="stylesheet" href="/static/web/telcost.css' in html
    assert '<a href="/">' in html
    json = server_error(RequestFactory().get("/api/jobs/1"))
    assert json["Content-Type"] == "application/json"


@pytest.fixture
def ready_export(customer, manager, tmp_path, settings):
    from django.core.files.storage import default_storage

    export = ExportJob.objects.create(
        customer=customer,
        requested_by=manager,
        cycle_start_date=dt.date(2026, 9, 1),
        kind="totals",
        format="csv",
        status="completed",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    export.file_name = default_storage.save(f"exports/{export.pk}/t.csv", _content(b"a,b\r\n"))
    export.save()
    return export


def _content(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data)


def test_a_browser_opening_a_download_logged_out_goes_through_the_login(ready_export, manager):
    url = f"/download/export/{ready_export.pk}"
    browser = Client(HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    response = browser.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/download/export/{ready_export.pk}"
    # Logged in, the same link is the file.
    browser.force_login(manager)
    response = browser.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"a,b\r\n"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ACCEPT": "application/json"},
        {},
        {"HTTP_ACCEPT": "text/html", "HTTP_AUTHORIZATION": "Bearer nonsense"},
    ],
)
def test_a_token_client_still_gets_the_json_401(ready_export, headers):
    response = Client().get(f"/download/export/{ready_export.pk}", **headers)
    assert response.status_code == 401 and response.json() == {"error": "Not logged in"}


def test_the_picker_shows_the_customer_of_the_page_not_the_last_one(drain_jobs):
    month = finance_month(drain_jobs)
    other = CustomerFactory(name="Zeta BV")
    staff = logged_in(UserFactory(username="staff-2", is_staff=True))
    staff.get(f"/customers/{other.pk}/usage/")  # the session's customer is now Zeta
    job_page = staff.get(f"/jobs/{month.job.pk}/").content.decode()
    assert _selected_in_picker(job_page) == str(month.customer.pk)
    assert f"/customers/{month.customer.pk}/sync-profiles/" in job_page  # the menu agrees
    staff.get(f"/customers/{other.pk}/usage/")
    simacties = staff.get(f"/admin/sim-cards/simacties/?customer_id={month.customer.pk}")
    assert _selected_in_picker(simacties.content.decode()) == str(month.customer.pk)
    # The menu's Simacties link opens the current customer's.
    page = staff.get(f"/customers/{other.pk}/usage/").content.decode()
    assert f'href="/admin/sim-cards/simacties/?customer_id={other.pk}"' in page


def _selected_in_picker(html: str) -> str:
    picker = html[html.index('id="switch-customer-select"') :]
    picker = picker[: picker.index("</select>")]
    return re.search(r'<option value="(\d+)" selected>', picker).group(1)


def test_a_cancelled_partner_range_counts_its_cancelled_parts_and_lists_no_failures(staff_user):
    partner = CustomerFactory(name="Partner")
    for name in ("Kid A", "Kid B", "Kid C"):
        DeviceFactory(customer=CustomerFactory(name=name, partner=partner))
    job = partner_recalculation_dispatch(
        customer=partner,
        start_date=dt.date(2026, 7, 1),
        end_date=dt.date(2026, 9, 1),
        user=staff_user,
    ).job
    assert job.kind == "partner_recalculation" and job.progress_total == 9
    job_cancel(job=job)
    assert job.children.filter(status="cancelled").count() == 9
    api = logged_in(staff_user).get(f"/api/jobs/{job.pk}").json()
    assert api["progress"] == {"done": 0, "failed": 0, "cancelled": 9, "total": 9}
    assert api["failures"] == []
    html = logged_in(staff_user).get(f"/jobs/{job.pk}/").content.decode()
    assert re.search(r'class="job-progress-text progress-text">9 / 9<', html)
    assert "9 geannuleerd" in html and "Mislukte onderdelen" not in html
    assert "Partnerherberekening" in html


def test_a_single_customers_range_is_not_a_partner_run(customer, staff_user):
    DeviceFactory(customer=customer)
    job = partner_recalculation_dispatch(
        customer=customer,
        start_date=dt.date(2026, 8, 1),
        end_date=dt.date(2026, 9, 1),
        user=staff_user,
    ).job
    assert job.kind == "range_recalculation"
    for language, label in (
        ("nl", "Herberekening over maanden"),
        ("en", "Recalculation of months"),
    ):
        html = logged_in(staff_user, language).get(f"/jobs/{job.pk}/").content.decode()
        assert label in html and "artner" not in html.split("<main>")[1]
    # The partner API answers the same for it.
    answer = logged_in(staff_user).post(
        f"/api/partners/{customer.pk}/recalculate",
        {"start_date": "2026-08-01", "end_date": "2026-09-01"},
        content_type="application/json",
    )
    assert answer.status_code == 202, answer.content
    assert answer.json()["months_processed"] == 2


def test_the_job_page_shows_its_duration_in_seconds(drain_jobs):
    month = finance_month(drain_jobs)
    Job.objects.filter(pk=month.job.pk).update(
        started_at=timezone.now() - dt.timedelta(seconds=3), finished_at=timezone.now()
    )
    staff = logged_in(UserFactory(username="staff-3", is_staff=True))
    html = staff.get(f"/jobs/{month.job.pk}/").content.decode()
    assert "(0:00:03)" in html and "minuten" not in html


def test_the_sync_history_says_when_and_by_whom_and_reloads_when_a_sync_ends(customer, manager):
    profile = SyncProfile.objects.create(customer=customer, name="Routit", provider="routit")
    started = timezone.now() - dt.timedelta(hours=2)
    by_hand = Job.objects.create(kind="sync", customer=customer, created_by=manager)
    SyncTask.objects.create(
        profile=profile,
        cycle_start=dt.date(2026, 9, 1),
        status="completed",
        manual_trigger=True,
        job=by_hand,
        started_at=started,
    )
    SyncTask.objects.create(
        profile=profile, cycle_start=dt.date(2026, 8, 1), status="completed", started_at=started
    )
    running = SyncTask.objects.create(
        profile=profile, cycle_start=dt.date(2026, 10, 1), status="running"
    )
    client = logged_in(manager)
    html = client.get(f"/customers/{customer.pk}/sync-profiles/").content.decode()
    history = html[html.index('id="sync-history"') :]
    assert 'hx-trigger="sync-ended from:body"' in history
    local = timezone.localtime(started)
    assert f"{local:%H:%M}" in history and f"{local.day}-{local.month}-{local.year}" in history
    assert '<td class="sync-by">manager</td>' in history
    assert '<td class="sync-by">planning</td>' in history
    status = client.get(f"/sync-tasks/{running.pk}/status")
    assert "HX-Trigger" not in status
    SyncTask.objects.filter(pk=running.pk).update(status="completed")
    status = client.get(f"/sync-tasks/{running.pk}/status")
    assert status["HX-Trigger"] == "sync-ended"


def test_current_addons_are_the_active_ones_and_history_keeps_the_rest(drain_jobs):
    month = finance_month(drain_jobs)
    reseller = logged_in(Membership.objects.get(user__username="reseller").user)
    html = reseller.get(
        f"/admin/sim-cards/simacties/?customer_id={month.customer.pk}"
    ).content.decode()
    current = html[html.index('id="addons-table"') : html.index('id="addon-history"')]
    assert "Databoost 5 GB" in current and "EU-roamingbundel" not in current
    assert "geannuleerd" not in current


def test_a_rate_limited_addon_says_when_to_try_again(customer, manager, staff_user):
    finished = timezone.now()
    job = Job.objects.create(
        kind="addons_activate",
        customer=customer,
        created_by=staff_user,
        status="failed",
        error="ActivateRoutitAddonsCommand: Too many requests",
        finished_at=finished,
    )
    html = logged_in(staff_user).get(f"/admin/sim-cards/simacties/jobs/{job.pk}").content.decode()
    retry = timezone.localtime(finished + dt.timedelta(seconds=119)).replace(second=0)
    assert "Te veel verzoeken" in html
    assert f"probeer het na {retry:%H:%M} opnieuw" in html


def test_the_cost_center_pages_are_in_a_managers_menu(customer, manager):
    page = logged_in(manager).get(f"/customers/{customer.pk}/usage/").content.decode()
    menu = page[page.index('id="customer-menu"') : page.index("</details>")]
    assert f'href="/customers/{customer.pk}/cost-centers/" id="cost-centers-link"' in menu


def test_a_manager_reaches_the_customers_rate_plan_from_the_customer_menu(rated_customer):
    customer = rated_customer()
    manager = UserFactory(username="plan-manager")
    viewer = UserFactory(username="plan-viewer")
    Membership.objects.create(user=manager, customer=customer, role="manager")
    Membership.objects.create(user=viewer, customer=customer, role="viewer")
    link = f'href="/admin/rate-plans/{customer.rate_plan.code}/" id="rate-plan-menu-link"'

    def menu(user) -> str:
        page = logged_in(user, "en").get(f"/customers/{customer.pk}/usage/").content.decode()
        return page[page.index('id="customer-menu"') : page.index("</details>")]

    assert link in menu(manager)
    plan_page = logged_in(manager, "en").get(f"/admin/rate-plans/{customer.rate_plan.code}/")
    assert plan_page.status_code == 200
    assert "rate-plan-menu-link" not in menu(viewer)  # a viewer may not read the plan
    standard = CustomerFactory(kind="standard")
    Membership.objects.create(user=manager, customer=standard, role="manager")
    page = logged_in(manager).get(f"/customers/{standard.pk}/usage/").content.decode()
    assert "rate-plan-menu-link" not in page  # no plan, no link
