"""Workflow 5: every kind read back and compared with the database; mail over real SMTP; safe
downloads."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from telcost.exports.models import ExportJob
from telcost.exports.writers import Column
from telcost.exports.xlsx import write_xlsx
from telcost.jobs.models import Job
from telcost.usage.recalculation.services import recalculation_dispatch
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)
from tests.mail import smtp_mailers
from tests.usage.helpers import SEPT, add_cdr

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(customer):
    sales = CostCenterFactory(customer=customer, code="SALES", name="Sales")
    ops = CostCenterFactory(customer=customer, code="OPS", name="Operations")
    phone = DeviceFactory(customer=customer, msisdn="31611111111", label="Anna")
    other = DeviceFactory(customer=customer, msisdn="31622222222", label="Bert")
    CostCenterAssignmentFactory(device=phone, cost_center=sales, valid_from=dt.date(2026, 1, 1))
    CostCenterAssignmentFactory(device=phone, cost_center=ops, valid_from=dt.date(2026, 9, 15))
    CostCenterAssignmentFactory(device=other, cost_center=ops, valid_from=dt.date(2026, 10, 1))
    add_cdr(
        customer,
        phone,
        duration_s=61,
        at=dt.datetime(2026, 9, 14, 21, 30, tzinfo=dt.UTC),
        provider_cost="0.1234",
    )  # 23:30 local
    add_cdr(
        customer,
        phone,
        record_type="data",
        volume_kb=300,
        at=dt.datetime(2026, 9, 20, 8, tzinfo=dt.UTC),
        provider_cost="0.5000",
    )
    add_cdr(
        customer,
        other,
        record_type="sms",
        zone="eu",
        at=dt.datetime(2026, 9, 21, 8, tzinfo=dt.UTC),
        provider_cost="0.0800",
    )
    return customer


def request_export(client, customer, kind, fmt="xlsx", date="2026-09-01"):
    return client.post(
        "/api/exports",
        {"customer_id": customer.pk, "cycle_start_date": date, "kind": kind, "format": fmt},
    )


def download(client, export_id):
    response = client.get(f"/download/export/{export_id}")
    return response, b"".join(response.streaming_content) if response.status_code == 200 else b""


def test_cdrs_as_xlsx_typed_with_the_cost_center_of_each_day(
    api_client, fleet, manager, drain_jobs, smtp
):
    client = api_client(manager)
    response = request_export(client, fleet, "cdrs")
    assert response.status_code == 202
    export = ExportJob.objects.get(pk=response.json()["export_id"])
    assert export.job_id == response.json()["job_id"] and export.status == "pending"
    assert download(client, export.pk)[0].status_code == 409
    drain_jobs()
    export.refresh_from_db()
    assert export.status == "completed" and export.rows == 3
    response, content = download(client, export.pk)
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Date", "Device", "Duration", "Cost")
    assert rows[0][4:] == ("Record type", "Zone", "Destination", "Volume (KB)", "Cost center")
    first = rows[1]
    assert (
        first[0] == dt.datetime(2026, 9, 14, 23, 30)
        and first[1] == "31611111111"
        and first[2] == 61
    )
    assert first[3] == pytest.approx(0.1234) and first[8] == "SALES"
    assert (
        rows[2][8] == "OPS" and rows[3][8] is None
    )  # Bert has no cost center before October: an empty cell
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(row=2, column=4).number_format.startswith("€")


def test_cost_center_settings_as_of_a_date_as_csv(api_client, fleet, manager, drain_jobs, smtp):
    client = api_client(manager)
    export_id = request_export(client, fleet, "cost_centers", "csv", "2026-09-16").json()[
        "export_id"
    ]
    drain_jobs()
    response, content = download(client, export_id)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows == [
        ["Device", "Label", "Cost center", "Cost center name", "Valid from"],
        ["31611111111", "Anna", "OPS", "Operations", "2026-09-15"],
        ["31622222222", "Bert", "", "", ""],
    ]


def test_totals_export_needs_calculated_totals_and_carries_the_summary(
    api_client, fleet, manager, drain_jobs, smtp
):
    client = api_client(manager)
    early = ExportJob.objects.get(pk=request_export(client, fleet, "totals").json()["export_id"])
    drain_jobs()
    early.refresh_from_db()
    assert early.status == "failed" and "not been calculated" in early.error
    assert download(client, early.pk)[0].status_code == 409
    recalculation_dispatch(customer=fleet, cycle_start=SEPT)
    drain_jobs()
    export_id = request_export(client, fleet, "totals").json()["export_id"]
    drain_jobs()
    book = openpyxl.load_workbook(io.BytesIO(download(client, export_id)[1]))
    assert book.sheetnames == ["Totals", "Summary"]
    detail = list(book["Totals"].iter_rows(values_only=True))[1:]
    assert sum(Decimal(str(r[6])) for r in detail) == Decimal("0.7034")
    summary = dict(list(book["Summary"].iter_rows(values_only=True))[1:])
    assert summary["Total cost"] == 0.7034 and summary["Month"] == "2026-09"  # a number


def test_the_requester_gets_an_email_with_the_absolute_link(
    api_client, fleet, manager, drain_jobs, smtp, settings
):
    settings.TELCOST_BASE_URL = "https://telcost.example"
    manager.email = "manager@example.test"
    manager.save()
    export_id = request_export(api_client(manager), fleet, "cdrs", "csv").json()["export_id"]
    drain_jobs()
    assert smtp.arrived.wait(5)
    [message] = smtp.messages
    assert message.rcpt_tos == ["manager@example.test"]
    body = message.content.decode()
    assert (
        "Subject: Export completed" in body
        and f"https://telcost.example/download/export/{export_id}" in body
    )
    assert ExportJob.objects.get(pk=export_id).mailed_at is not None


def test_smtp_down_still_completes_and_shows_the_mail_failure(
    api_client, fleet, manager, drain_jobs, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.MAILERS = smtp_mailers(9, timeout=1)  # nothing listens there
    client = api_client(manager)
    body = request_export(client, fleet, "cdrs", "csv").json()
    for _ in range(3):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        drain_jobs()
    job = Job.objects.get(pk=body["job_id"])
    export = ExportJob.objects.get(pk=body["export_id"])
    assert job.status == "completed" and job.result["mail"].startswith("failed")
    assert job.steps.get(name="SendExportMailCommand").attempts == 3
    assert export.status == "completed" and export.mail_error and export.mail_state == "retrying"
    assert export.mail_tries == 3 and export.mail_next_at > timezone.now()
    assert download(client, export.pk)[0].status_code == 200


def test_nobody_else_reaches_an_export_by_its_id(api_client, fleet, manager, drain_jobs, smtp):
    export_id = request_export(api_client(manager), fleet, "cdrs", "csv").json()["export_id"]
    drain_jobs()
    stranger = UserFactory()
    MembershipFactory(user=stranger, customer=CustomerFactory(), role="manager")
    viewer = UserFactory()
    MembershipFactory(user=viewer, customer=fleet, role="viewer")
    assert download(api_client(stranger), export_id)[0].status_code == 404
    assert download(api_client(viewer), export_id)[0].status_code == 404
    assert download(api_client(), export_id)[0].status_code == 401
    colleague = UserFactory()
    MembershipFactory(user=colleague, customer=fleet, role="manager")
    assert download(api_client(colleague), export_id)[0].status_code == 200


def test_session_users_download_too(fleet, manager, drain_jobs, smtp, api_client):
    from django.test import Client

    export_id = request_export(api_client(manager), fleet, "cdrs", "csv").json()["export_id"]
    drain_jobs()
    browser = Client()
    browser.force_login(manager)
    assert browser.get(f"/download/export/{export_id}").status_code == 200


def test_expired_exports_answer_410_and_their_files_are_removed(
    api_client, fleet, manager, drain_jobs, smtp
):
    from django.core.files.storage import default_storage

    from telcost.exports.services import exports_expire

    export_id = request_export(api_client(manager), fleet, "cdrs", "csv").json()["export_id"]
    drain_jobs()
    export = ExportJob.objects.get(pk=export_id)
    assert default_storage.exists(export.file_name)
    ExportJob.objects.filter(pk=export_id).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert download(api_client(manager), export_id)[0].status_code == 410
    assert exports_expire() == 1
    assert not default_storage.exists(export.file_name)
    assert download(api_client(manager), export_id)[0].status_code == 410


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "secrets", "format": "xlsx", "cycle_start_date": "2026-09-01"}, 400),
        ({"kind": "cdrs", "format": "pdf", "cycle_start_date": "2026-09-01"}, 400),
        ({"kind": "cdrs", "format": "xlsx", "cycle_start_date": "someday"}, 400),
        ({"kind": "cdrs", "format": "xlsx", "cycle_start_date": "1899-01-01"}, 400),
    ],
)
def test_bad_export_requests_queue_nothing(api_client, fleet, manager, body, status):
    response = api_client(manager).post("/api/exports", {"customer_id": fleet.pk, **body})
    assert response.status_code == status and "error" in response.json()
    assert not ExportJob.objects.exists() and not Job.objects.exists()


def test_exports_of_customers_one_may_not_export(api_client, fleet, viewer, outsider):
    assert request_export(api_client(viewer), fleet, "cdrs").status_code == 403
    assert request_export(api_client(outsider), fleet, "cdrs").status_code == 404
    assert not ExportJob.objects.exists()


def test_long_exports_continue_on_further_sheets(tmp_path):
    path = str(tmp_path / "big.xlsx")
    rows = [(f"r{i}", i) for i in range(10)]
    assert (
        write_xlsx(path, [("Data", [Column("Name"), Column("N", "int")], rows)], max_rows=4) == 10
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Data", "Data (2)", "Data (3)", "Data (4)"]
    assert [r[1] for r in book["Data (2)"].iter_rows(min_row=2, values_only=True)] == [3, 4, 5]
    assert all(book[name]["A1"].value == "Name" for name in book.sheetnames)


def test_identical_requests_while_one_is_pending_return_it(
    api_client, fleet, manager, drain_jobs, smtp
):
    client = api_client(manager)

    def export_id(*args, who=client, **kwargs) -> int:
        return request_export(who, fleet, *args, **kwargs).json()["export_id"]

    first = request_export(client, fleet, "cdrs", "csv").json()
    again = request_export(client, fleet, "cdrs", "csv", date="2026-09-20").json()  # the same month
    assert (again["export_id"], again["job_id"]) == (first["export_id"], first["job_id"])
    assert export_id("cdrs", "xlsx") != first["export_id"]
    assert export_id("totals", "csv") != first["export_id"]
    assert export_id("cdrs", "csv", date="2026-08-01") != first["export_id"]
    colleague = UserFactory()
    MembershipFactory(user=colleague, customer=fleet, role="manager")
    assert export_id("cdrs", "csv", who=api_client(colleague)) != first["export_id"]
    assert ExportJob.objects.count() == Job.objects.count() == 5
    drain_jobs()
    assert export_id("cdrs", "csv") != first["export_id"]


def test_the_cost_center_export_is_the_same_request_only_for_the_same_date(
    api_client, fleet, manager
):
    client = api_client(manager)
    first = request_export(client, fleet, "cost_centers", "xlsx", "2026-09-16").json()
    assert request_export(client, fleet, "cost_centers", "xlsx", "2026-09-16").json() == first
    other_day = request_export(client, fleet, "cost_centers", "xlsx", "2026-09-17").json()
    assert other_day["export_id"] != first["export_id"]


def test_a_removed_membership_ends_the_download(api_client, fleet, manager, drain_jobs, smtp):
    from django.test import Client

    from telcost.accounts.models import Membership

    export_id = request_export(api_client(manager), fleet, "cdrs", "csv").json()["export_id"]
    drain_jobs()
    browser = Client()
    browser.force_login(manager)
    assert download(api_client(manager), export_id)[0].status_code == 200
    Membership.objects.filter(user=manager, customer=fleet).update(role="viewer")
    # Demoted to viewer, the requester may still see the customer, and so its export.
    assert download(api_client(manager), export_id)[0].status_code == 200
    Membership.objects.filter(user=manager, customer=fleet).delete()
    response = download(api_client(manager), export_id)[0]
    assert response.status_code == 404 and response.json() == {"error": "Export not found"}
    assert api_client(manager).get(f"/api/exports/{export_id}").status_code == 404
    assert browser.get(f"/download/export/{export_id}").status_code == 404
    assert browser.get(f"/exports/{export_id}/status").status_code == 404
