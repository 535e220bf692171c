"""The monthly report's job: the chargeback export for the subscriber and one mail in their
language with the figures the totals API gives, through the outbox and a real SMTP server."""

import io
from decimal import Decimal

import openpyxl
import pytest

from telcost.exports.models import ExportJob
from telcost.jobs.models import Job
from telcost.outbox.models import OutgoingMail
from telcost.reports.models import ReportSubscription
from telcost.reports.services import reports_run_due
from tests.exports.test_exports import download
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.reports.conftest import NOV_5, at, mail_of

pytestmark = pytest.mark.django_db


def totals(api_client, user, customer) -> dict:
    answer = api_client(user).get(f"/api/customers/{customer.pk}/totals?month=2026-10")
    assert answer.status_code == 200
    return answer.json()


def test_an_english_report_with_the_totals_figures_and_a_working_link(
    datri, subscriber, api_client, drain_jobs, smtp, settings
):
    settings.TELCOST_BASE_URL = "https://telcost.example"
    customer = datri["customer"]
    subscription = subscriber(customer, "fin", language="en", day=5)
    assert reports_run_due(now=NOV_5) == 1
    drain_jobs()
    assert Job.objects.get(kind="monthly_report").status == "completed"
    assert len(smtp.messages) == 1
    assert smtp.messages[0].rcpt_tos == ["fin@example.com"]
    subject, body = mail_of(smtp.messages[0])
    assert subject == "telcost monthly report: Datri, October 2026"

    figures = totals(api_client, subscription.user, customer)
    money = {k: Decimal(v["cost"]) for k, v in figures["by_type"].items()}
    assert Decimal(figures["total_cost"]) == Decimal("63.48")
    assert f"Total cost: €{Decimal(figures['total_cost']):,.2f}" in body
    assert "September 2026: not calculated" in body
    assert f"  Voice: €{money['voice']:.2f}\n" in body
    assert f"  SMS: €{money['sms']:.2f}\n" in body
    assert f"  Data: €{money['data']:.2f}\n" in body
    assert f"  Subscriptions: €{Decimal(figures['subscription_cost']):.2f}\n" in body
    # The cost centers as the chargeback splits them, largest first; IDLE has no costs.
    lines = body.splitlines()
    top = lines[lines.index("Cost centers with the highest cost") + 1 :][:3]
    assert top == [
        "  Without cost center: €25.40",
        "  OPS Operations: €25.33",
        "  SALES Sales: €12.75",
    ]
    export = ExportJob.objects.get(kind="chargeback", customer=customer)
    assert (export.requested_by, export.language, export.format) == (
        subscription.user,
        "en",
        "xlsx",
    )
    assert export.mail_state == "" and export.mailed_at is None  # no "Export completed" mail
    assert f"https://telcost.example/download/export/{export.pk}" in body
    assert "The link works until" in body
    assert "https://telcost.example/account/" in body
    assert "day 5 of every month" in body

    response, content = download(api_client(subscription.user), export.pk)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames[0] == "Overview"
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, customer=CustomerFactory(name="Other"), role="manager")
    colleague = UserFactory(username="colleague")  # a viewer of Datri, not its requester
    MembershipFactory(user=colleague, customer=customer, role="viewer")
    for user in (stranger, colleague):
        assert download(api_client(user), export.pk)[0].status_code == 404


def test_a_dutch_report_in_dutch_words_and_formats(datri, subscriber, drain_jobs, smtp):
    subscriber(datri["customer"], "financien", language="nl", day=5)
    reports_run_due(now=NOV_5)
    drain_jobs()
    (envelope,) = smtp.messages
    subject, body = mail_of(envelope)
    assert subject == "telcost maandrapport: Datri, oktober 2026"
    assert "Totale kosten: € 63,48" in body
    assert "september 2026: niet berekend" in body
    assert "  Abonnementen: € 62,50\n" in body
    assert "  Zonder kostenplaats: € 25,40\n" in body
    export = ExportJob.objects.get(kind="chargeback")
    assert export.language == "nl"
    assert "De link werkt tot" in body


def test_the_change_against_the_month_before(datri, subscriber, drain_jobs, smtp):
    from telcost.usage.models import CycleTotals

    september = CycleTotals.objects.get(cycle_start="2026-10-01")
    september.pk, september.cycle_start, september.total_cost = None, "2026-09-01", Decimal("50")
    september.save()
    subscriber(datri["customer"], "en-fin", language="en")
    subscriber(datri["customer"], "nl-fin", language="nl")
    reports_run_due(now=NOV_5)
    drain_jobs()
    bodies = sorted(mail_of(m)[1] for m in smtp.messages)
    assert any("September 2026: €50.00, change +€13.48 (+27.0%)" in b for b in bodies)
    assert any("september 2026: € 50,00, verschil +€ 13,48 (+27,0%)" in b for b in bodies)


def test_a_month_never_calculated_says_so_and_links_the_usage_page(
    subscriber, drain_jobs, smtp, settings
):
    settings.TELCOST_BASE_URL = "https://telcost.example"
    customer = CustomerFactory(name="Not yet BV")
    subscriber(customer, "fin", language="en")
    assert reports_run_due(now=at(30, 8)) == 1  # the last day of November: it waited till then
    drain_jobs()
    (envelope,) = smtp.messages
    _subject, body = mail_of(envelope)
    assert "October 2026 has not been calculated for Not yet BV yet" in body
    assert f"https://telcost.example/customers/{customer.pk}/usage/?month=2026-10" in body
    assert "download" not in body
    assert not ExportJob.objects.exists()


def test_the_mail_step_run_again_never_mails_twice(datri, subscriber, drain_jobs, smtp):
    from telcost.jobs.models import Step
    from telcost.jobs.queue import enqueue_step

    subscription = subscriber(datri["customer"], "fin", language="en")
    reports_run_due(now=NOV_5)
    drain_jobs()
    assert len(smtp.messages) == 1
    # The mail step delivered again (a retry after a lost worker, say): same key, same mail.
    mail_step = Step.objects.get(name="SendMonthlyReportMail")
    Step.objects.filter(pk=mail_step.pk).update(status="queued")
    Job.objects.filter(pk=mail_step.job_id).update(status="running")
    enqueue_step(mail_step)
    drain_jobs()
    mail_step.refresh_from_db()
    assert mail_step.status == "succeeded" and mail_step.attempts == 2
    assert len(smtp.messages) == 1
    assert OutgoingMail.objects.get().key == f"report:{subscription.pk}:2026-10"


@pytest.mark.parametrize("how", ["membership revoked", "user deactivated", "unsubscribed"])
def test_a_right_gone_by_send_time_sends_nothing(datri, subscriber, drain_jobs, smtp, how):
    subscription = subscriber(datri["customer"], "fin", language="en")
    assert reports_run_due(now=NOV_5) == 1
    if how == "membership revoked":
        subscription.user.memberships.all().delete()
    elif how == "user deactivated":
        subscription.user.is_active = False
        subscription.user.save()
    else:
        ReportSubscription.objects.filter(pk=subscription.pk).delete()
    drain_jobs()
    assert Job.objects.get(kind="monthly_report").status == "completed"
    assert smtp.messages == []
    assert not OutgoingMail.objects.exists()
    assert not ExportJob.objects.exists()
