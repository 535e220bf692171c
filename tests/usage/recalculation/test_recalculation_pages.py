"""Workflow 1's pages without a browser: who sees what, what a form post queues, what bad input
answers."""

import datetime as dt
import re

import pytest

from telcost.customers.models import Customer
from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.usage.recalculation.services import recalculation_dispatch
from tests.factories import CustomerFactory, DeviceFactory, MembershipFactory, UserFactory
from tests.usage.helpers import SEPT, add_cdr

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    customer = CustomerFactory(name="Shop")
    add_cdr(
        customer,
        DeviceFactory(customer=customer, msisdn="31611111111"),
        duration_s=60,
        provider_cost="0.4200",
    )
    return customer


def member(customer, role: str):
    user = UserFactory()
    MembershipFactory(user=user, customer=customer, role=role)
    return user


def logged_in(client, user):
    client.force_login(user)
    return client


def usage_url(customer, suffix: str = "") -> str:
    return f"/customers/{customer.pk}/usage/{suffix}"


def test_a_manager_sees_the_dutch_button_and_a_viewer_does_not(client, shop):
    page = logged_in(client, member(shop, "manager")).get(usage_url(shop) + "?month=2026-09")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Herbereken data" in body and 'id="recalculate-dialog"' in body
    assert '<option value="2026-09" selected>' in body
    client.logout()
    body = (
        logged_in(client, member(shop, "viewer"))
        .get(usage_url(shop) + "?month=2026-09")
        .content.decode()
    )
    assert "Herbereken data" not in body and 'id="recalculate-dialog"' not in body
    assert 'id="no-totals"' in body


def test_outsiders_get_404_and_strangers_are_sent_to_log_in(client, shop, outsider):
    assert client.get(usage_url(shop)).status_code == 302
    assert logged_in(client, outsider).get(usage_url(shop)).status_code == 404
    assert client.get("/customers/987654/usage/").status_code == 404


def test_the_dialog_queues_the_chain_and_the_fragment_polls_it(client, shop):
    client = logged_in(client, member(shop, "manager"))
    response = client.post(usage_url(shop, "recalculate"), {"month": "2026-09", "shown": "2026-09"})
    assert response.status_code == 200
    job = Job.objects.get()
    assert (job.kind, job.params["cycle_start"], job.params["reason"]) == (
        "recalculate_totals",
        "2026-09-01",
        "manual",
    )
    assert Customer.objects.get(pk=shop.pk).calculate_totals is True
    body = response.content.decode()
    assert "spinner" in body and f'hx-get="/customers/{shop.pk}/usage/jobs/{job.pk}' in body
    again = client.post(usage_url(shop, "recalculate"), {"month": "2026-09-30"})
    assert f'data-job-id="{job.pk}"' in again.content.decode() and Job.objects.count() == 1


def test_a_finished_job_refreshes_the_month_on_screen_and_only_that_one(client, shop, drain_jobs):
    client = logged_in(client, member(shop, "manager"))
    september = recalculation_dispatch(customer=shop, cycle_start=SEPT)
    august = recalculation_dispatch(customer=shop, cycle_start=dt.date(2026, 8, 1))
    drain_jobs()
    shown = client.get(usage_url(shop, f"jobs/{september.pk}") + "?shown=2026-09").content.decode()
    assert (
        "recalc-done" in shown
        and f'hx-get="/customers/{shop.pk}/usage/content?month=2026-09"' in shown
    )
    # A month that is not on screen must not replace the one that is: a link to it instead.
    other = client.get(usage_url(shop, f"jobs/{august.pk}") + "?shown=2026-09").content.decode()
    assert "recalc-done" in other and "usage/content" not in other
    assert f'href="/customers/{shop.pk}/usage/?month=2026-08"' in other
    content = client.get(usage_url(shop, "content") + "?month=2026-09").content.decode()
    assert 'id="total-cost">€ 0,42<' in content  # 2 decimals in Dutch on a page (the API keeps 4)


def test_viewers_cannot_post_the_dialog_and_nothing_is_queued(client, shop, outsider):
    assert (
        logged_in(client, member(shop, "viewer"))
        .post(usage_url(shop, "recalculate"), {"month": "2026-09"})
        .status_code
        == 403
    )
    client.logout()
    outsiders = logged_in(client, outsider).post(
        usage_url(shop, "recalculate"), {"month": "2026-09"}
    )
    assert outsiders.status_code == 404
    assert not Job.objects.exists() and not Customer.objects.get(pk=shop.pk).calculate_totals


@pytest.mark.parametrize("month", ["", "2026-13", "9999-12", "0001-01-01T00:00:00+14:00"])
def test_a_bad_month_in_the_dialog_is_a_400_and_queues_nothing(client, staff_user, shop, month):
    response = logged_in(client, staff_user).post(usage_url(shop, "recalculate"), {"month": month})
    assert response.status_code == 400 and b'class="error"' in response.content
    assert not Job.objects.exists()


def test_the_dialog_refuses_get(client, staff_user, shop):
    assert logged_in(client, staff_user).get(usage_url(shop, "recalculate")).status_code == 405


def test_the_status_fragment_only_shows_this_customers_recalculations(client, staff_user, shop):
    client = logged_in(client, staff_user)
    other = recalculation_dispatch(customer=CustomerFactory(), cycle_start=SEPT)
    assert client.get(usage_url(shop, f"jobs/{other.pk}")).status_code == 404
    # Another kind of job of this customer has no month to show: 404, not a crash.
    probe = job_dispatch(kind=PROBE_KIND, customer=shop, steps=[StepSpec("Probe", {})]).job
    assert client.get(usage_url(shop, f"jobs/{probe.pk}")).status_code == 404
    assert client.get(usage_url(shop, "jobs/99999999999999999999")).status_code == 404


def test_compare_two_versions_and_bad_versions(client, staff_user, shop, drain_jobs):
    for _ in range(2):
        recalculation_dispatch(customer=shop, cycle_start=SEPT)
        drain_jobs()
    add_cdr(shop, shop.devices.get(), record_type="sms", provider_cost="0.0800")
    recalculation_dispatch(customer=shop, cycle_start=SEPT)
    drain_jobs()
    client = logged_in(client, staff_user)
    page = client.get(usage_url(shop) + "?month=2026-09").content.decode()
    assert 'id="compare-form"' in page and page.count("<tr><td>3</td>") == 1
    diff = client.get(usage_url(shop, "diff") + "?month=2026-09&a=2&b=3").content.decode()
    assert 'class="versions-diff"' in diff and "31611111111" in diff and "€ 0,08" in diff
    assert (
        "Geen verschillen."
        in client.get(usage_url(shop, "diff") + "?month=2026-09&a=1&b=2").content.decode()
    )
    for query in ("a=1&b=9", "a=99999999999999999999&b=1", "a=-1&b=1", "a=x&b=1", ""):
        response = client.get(usage_url(shop, "diff") + "?month=2026-09&" + query)
        assert response.status_code == 200 and b'class="error"' in response.content, query


class TestAdminPage:
    url = "/admin/syncs/recalculate-totals/"

    def test_staff_see_every_customer_and_the_confirm_dialog(self, client, staff_user, shop):
        body = logged_in(client, staff_user).get(self.url).content.decode()
        assert f'<option value="{shop.pk}"' in body
        assert (
            "Weet u zeker dat u de totalen wilt herberekenen?" in body
            and 'id="confirm-agree"' in body
        )

    def test_agree_queues_one_customer_month_with_the_admin_reason(self, client, staff_user, shop):
        response = logged_in(client, staff_user).post(
            self.url, {"customer_id": shop.pk, "start_date": "2026-09", "end_date": "2026-09"}
        )
        assert response.status_code == 200
        job = Job.objects.get()
        assert (
            job.kind == "recalculate_totals"
            and job.params["reason"] == "admin"
            and job.parent_id is None
        )
        assert [s.name for s in job.steps.order_by("position")] == [
            "CalculateTotalsCommand",
            "BillingInsightTotalsCommand",
            "SaveStatusCommand",
            "DispatchTotalsBackupCommand",
            "EvaluateAlertsCommand",
        ]
        assert f'data-status="{job.status}"' in response.content.decode()

    def test_managers_without_a_partner_and_viewers_are_refused(self, client, shop):
        for role in ("manager", "viewer"):
            client.force_login(member(shop, role))
            assert client.get(self.url).status_code == 403
            assert (
                client.post(self.url, {"customer_id": shop.pk, "start_date": "2026-09"}).status_code
                == 403
            )
        assert not Job.objects.exists()

    def test_a_partner_manager_may_not_pick_a_customer_outside_the_partner(self, client, shop):
        partner = CustomerFactory(name="Partner")
        CustomerFactory(partner=partner)
        client = logged_in(client, member(partner, "manager"))
        body = client.get(self.url).content.decode()
        assert f'<option value="{partner.pk}"' in body and f'<option value="{shop.pk}"' not in body
        response = client.post(self.url, {"customer_id": shop.pk, "start_date": "2026-09"})
        assert response.status_code == 400 and not Job.objects.exists()

    @pytest.mark.parametrize(
        "form",
        [
            {"customer_id": "", "start_date": "2026-09"},
            {"customer_id": "x", "start_date": "2026-09"},
            {"start_date": "2026-13"},
            {"start_date": "2026-09", "end_date": "2026-08"},
            {"start_date": "2020-01", "end_date": "2026-09"},
            {"start_date": "9999-12"},
        ],
    )
    def test_bad_forms_are_a_400_and_queue_nothing(self, client, staff_user, shop, form):
        form = {"customer_id": shop.pk, **form}
        response = logged_in(client, staff_user).post(self.url, form)
        assert response.status_code == 400 and b'class="error"' in response.content
        assert not Job.objects.exists() and not Customer.objects.get(pk=shop.pk).calculate_totals


def test_the_admin_dropdown_agrees_with_the_permission_rule():
    from telcost.accounts.rules import RECALCULATE
    from telcost.customers.models import Customer
    from telcost.usage.views.admin_recalculate import recalculable_customers

    partner, other_partner = CustomerFactory(name="P1"), CustomerFactory(name="P2")
    kids = [
        CustomerFactory(partner=partner),
        CustomerFactory(partner=partner),
        CustomerFactory(partner=other_partner),
    ]
    loner = CustomerFactory()
    users = [
        UserFactory(is_staff=True),
        UserFactory(is_staff=True, is_active=False),
        UserFactory(),
        member(partner, "manager"),
        member(partner, "viewer"),
        member(kids[2], "manager"),
        member(loner, "viewer"),
    ]
    MembershipFactory(
        user=users[4], customer=kids[0], role="manager"
    )  # viewer of the partner, manager of one kid
    for user in users:
        expected = sorted(c.pk for c in Customer.objects.all() if user.has_perm(RECALCULATE, c))
        got = recalculable_customers(user)
        assert sorted(c.pk for c in got) == expected, user
        assert all(c.has_children == c.children.exists() for c in got)


def test_the_admin_page_costs_the_same_queries_for_many_customers(client, staff_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    partner = CustomerFactory()
    client.force_login(staff_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(TestAdminPage.url).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for i in range(30):
        CustomerFactory(partner=partner if i % 2 else None)
    assert queries() == few


def test_the_page_lists_each_device_once_with_its_calls_texts_data_and_fee(client, shop):
    from telcost.usage.billing.totals import totals_calculate

    device = shop.devices.get()
    add_cdr(shop, device, duration_s=30, provider_cost="0.2100")
    add_cdr(shop, device, record_type="data", zone="eu", volume_kb=2048, provider_cost="1.5000")
    totals_calculate(customer=shop, cycle_start=SEPT)
    body = (
        logged_in(client, member(shop, "viewer"))
        .get(usage_url(shop, "content") + "?month=2026-09")
        .content.decode()
    )
    rows = body[body.index('<table id="devices-table"') :].split("</table>")[0]
    # One row per device (zones and types summed); a call's duration as h:mm:ss, data in MB
    # (1 MB = 1024 KB), money with 2 decimals in the Dutch format.
    cells = re.findall(r'<td class="num">(?:<strong>)?([^<]*)', rows)
    assert cells == ["0:01:30", "€ 0,63", "0", "€ 0,00", "2,00 MB", "€ 1,50", "€ 0,00", "€ 2,13"]
    assert rows.count('<tr data-msisdn="31611111111">') == 1
    assert f'href="/devices/{device.pk}/"' in rows


def test_the_versions_diff_names_the_usage_type(client, staff_user, shop, drain_jobs):
    recalculation_dispatch(customer=shop, cycle_start=SEPT)
    drain_jobs()
    add_cdr(shop, shop.devices.get(), duration_s=30, provider_cost="0.2100")
    recalculation_dispatch(customer=shop, cycle_start=SEPT)
    drain_jobs()
    client = logged_in(client, staff_user)
    diff = client.get(usage_url(shop, "diff") + "?month=2026-09&a=1&b=2").content.decode()
    assert "<tr><td>31611111111</td><td>Bellen</td>" in diff and "voice" not in diff
    client.cookies["django_language"] = "en"
    diff = client.get(usage_url(shop, "diff") + "?month=2026-09&a=1&b=2").content.decode()
    assert "<tr><td>31611111111</td><td>Voice</td>" in diff
