"""Exports in the requester's language (issue 17.2): headers, sheet names and the link's mail.

A page asks in its reader's language (Dutch unless they chose English); the API asks in English
unless its request says "language": "nl" (documented in the schema).
"""

import csv
import datetime as dt
import email
import io

import openpyxl
import pytest
from django.test import Client

from telcost.exports.models import ExportJob
from telcost.usage.recalculation.services import recalculation_dispatch
from tests.factories import DeviceFactory
from tests.usage.helpers import SEPT, add_cdr

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(customer):
    add_cdr(
        customer,
        DeviceFactory(customer=customer, msisdn="31611111111"),
        duration_s=61,
        at=dt.datetime(2026, 9, 14, 21, 30, tzinfo=dt.UTC),
        provider_cost="0.1234",
    )
    return customer


def _from_the_page(manager, customer, kind, language=None, fmt="xlsx") -> ExportJob:
    client = Client()
    client.force_login(manager)
    if language:
        client.cookies["django_language"] = language
    response = client.post(
        f"/customers/{customer.pk}/exports/start",
        {"date": "2026-09-01", "kind": kind, "format": fmt},
    )
    assert response.status_code == 200, response.content
    return ExportJob.objects.get()


def _workbook(export: ExportJob) -> openpyxl.Workbook:
    from django.core.files.storage import default_storage

    export.refresh_from_db()
    with default_storage.open(export.file_name, "rb") as handle:
        return openpyxl.load_workbook(io.BytesIO(handle.read()))


def _mail(smtp) -> email.message.Message:
    assert smtp.arrived.wait(5)
    return email.message_from_bytes(smtp.messages[-1].content)


def test_a_dutch_page_gets_dutch_headers_sheet_names_and_mail(month, manager, drain_jobs, smtp):
    export = _from_the_page(manager, month, "cdrs")
    assert export.language == "nl"
    drain_jobs()
    book = _workbook(export)
    assert book.sheetnames == ["CDR's"]
    header = next(book.active.iter_rows(values_only=True))
    assert header == (
        "Datum",
        "Toestel",
        "Duur",
        "Kosten",
        "Soort",
        "Zone",
        "Bestemming",
        "Volume (KB)",
        "Kostenplaats",
    )
    mail = _mail(smtp)
    body = mail.get_payload(decode=True).decode()
    assert mail["Subject"] == "Export voltooid"
    assert "Uw export van CDR's van Acme BV (september 2026) staat klaar." in body
    assert f"/download/export/{export.pk}" in body and "De link werkt tot en met" in body


def test_an_english_reader_gets_english_and_the_totals_sheets_are_named_too(
    month, manager, drain_jobs, smtp
):
    recalculation_dispatch(customer=month, cycle_start=SEPT)
    drain_jobs()
    export = _from_the_page(manager, month, "totals", language="en")
    drain_jobs()
    assert _workbook(export).sheetnames == ["Totals", "Summary"]
    mail = _mail(smtp)
    assert mail["Subject"] == "Export completed"
    assert (
        "Your totals export of Acme BV (September 2026) is ready."
        in mail.get_payload(decode=True).decode()
    )


def test_the_totals_in_dutch_name_their_summary(month, manager, drain_jobs, smtp):
    recalculation_dispatch(customer=month, cycle_start=SEPT)
    drain_jobs()
    export = _from_the_page(manager, month, "totals")
    drain_jobs()
    book = _workbook(export)
    assert book.sheetnames == ["Totalen", "Samenvatting"]
    summary = dict(list(book["Samenvatting"].iter_rows(values_only=True))[1:])
    assert summary["Totale kosten"] == 0.1234 and summary["Kosten bellen"] == 0.1234  # numbers
    assert next(book["Totalen"].iter_rows(values_only=True))[:4] == (
        "Toestel",
        "Soort",
        "Zone",
        "Aantal",
    )


def test_the_api_asks_in_english_unless_it_says_dutch(api_client, month, manager, drain_jobs, smtp):
    client = api_client(manager)
    body = {
        "customer_id": month.pk,
        "cycle_start_date": "2026-09-01",
        "kind": "cost_centers",
        "format": "csv",
    }
    english = client.post("/api/exports", body).json()["export_id"]
    dutch = client.post(
        "/api/exports", {**body, "cycle_start_date": "2026-09-02", "language": "nl"}
    ).json()["export_id"]
    assert client.post("/api/exports", {**body, "language": "de"}).status_code == 400
    drain_jobs()
    headers = {}
    for export_id in (english, dutch):
        content = b"".join(client.get(f"/download/export/{export_id}").streaming_content).decode()
        headers[export_id] = next(csv.reader(io.StringIO(content)))
    assert headers[english] == ["Device", "Label", "Cost center", "Cost center name", "Valid from"]
    assert headers[dutch] == [
        "Toestel",
        "Label",
        "Kostenplaats",
        "Naam kostenplaats",
        "Geldig vanaf",
    ]
