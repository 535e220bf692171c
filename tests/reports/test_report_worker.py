"""The whole report through a real worker process and a real SMTP server: one mail per
subscriber, each in their language, with a link that downloads their chargeback xlsx."""

import io
import re

import openpyxl
import pytest

from telcost.jobs.models import Job
from telcost.reports.models import ReportSubscription
from telcost.reports.services import reports_run_due
from tests.conftest import wait_for
from tests.exports.test_exports import download
from tests.reports.conftest import NOV_5, mail_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_mails_each_subscriber_once_in_their_language(
    datri, subscriber, smtp, start_worker, api_client, outsider
):
    customer = datri["customer"]
    dutch = subscriber(customer, "financien", language="nl", role="viewer")
    english = subscriber(customer, "finance", language="en", role="manager")
    assert reports_run_due(now=NOV_5) == 2
    # Paused once claimed, so the workers' own timer (on the real clock) starts nothing more
    # here; a month already claimed is still reported.
    ReportSubscription.objects.update(active=False)
    start_worker(
        "reports", EMAIL_HOST="127.0.0.1", EMAIL_PORT=smtp.port, TELCOST_BASE_URL="http://t.test"
    )
    wait_for(
        lambda: Job.objects.filter(kind="monthly_report", status="completed").count() == 2,
        timeout=60,
        message="both reports completed",
    )
    wait_for(lambda: len(smtp.messages) == 2, timeout=30, message="two mails")
    mails = {envelope.rcpt_tos[0]: mail_of(envelope) for envelope in smtp.messages}
    assert mails["financien@example.com"][0] == "telcost maandrapport: Datri, oktober 2026"
    assert "Totale kosten: € 63,48" in mails["financien@example.com"][1]
    assert mails["finance@example.com"][0] == "telcost monthly report: Datri, October 2026"
    assert "Total cost: €63.48" in mails["finance@example.com"][1]

    for subscription, (_subject, body) in (
        (dutch, mails["financien@example.com"]),
        (english, mails["finance@example.com"]),
    ):
        export_id = int(re.search(r"http://t\.test/download/export/(\d+)", body)[1])
        response, content = download(api_client(subscription.user), export_id)
        assert response.status_code == 200
        sheets = openpyxl.load_workbook(io.BytesIO(content)).sheetnames
        assert sheets[0] == ("Overzicht" if subscription.language == "nl" else "Overview")
        assert download(api_client(outsider), export_id)[0].status_code == 404
    assert len(smtp.messages) == 2  # nothing more: no "Export completed" mail either
