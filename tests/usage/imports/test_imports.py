import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from telcost.core.cdr_format import CSV_COLUMNS, ImportRefused
from telcost.customers.models import Device
from telcost.jobs.models import Job
from telcost.usage.imports.pipeline import cdrs_import_csv
from telcost.usage.models import CDR
from tests.factories import CustomerFactory, DeviceFactory

HEADER = ",".join(CSV_COLUMNS)


def csv_bytes(*rows: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode())


GOOD = [
    "c1,31600000001,2026-09-01T10:00:00+02:00,voice,national,31201234567,61,0,0.1234",
    "c2,31600000001,2026-09-02T10:00:00+02:00,sms,eu,4912345,0,0,0.08",
    "c3,31600000002,2026-09-03T10:00:00+00:00,data,international,internet,0,2048,5.5",
]


@pytest.mark.django_db
def test_good_rows_are_imported_with_devices_created_on_first_sight(customer):
    result = cdrs_import_csv(customer=customer, stream=csv_bytes(*GOOD))
    assert result.as_dict() == {"imported": 3, "duplicates": 0, "rejected": 0, "errors": []}
    device = Device.objects.get(msisdn="31600000001")
    assert device.customer == customer and device.activated_on == dt.date(2026, 9, 1)
    cdr = CDR.objects.get(external_id="c1")
    assert (
        cdr.duration_s == 61
        and cdr.provider_cost == Decimal("0.1234")
        and cdr.cost == Decimal("0.1234")
    )
    assert cdr.cycle_start == dt.date(2026, 9, 1)
    # Stored the way the ORM stores it: it reads back as the same instant and sorts with the rest.
    assert cdr.started_at == dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
    assert (
        CDR.objects.filter(started_at__lt=dt.datetime(2026, 9, 1, 8, 0, 1, tzinfo=dt.UTC)).count()
        == 1
    )


@pytest.mark.django_db
def test_rateplan_customers_cdrs_wait_for_rating(db):
    rated = CustomerFactory(kind="rateplan")
    cdrs_import_csv(customer=rated, stream=csv_bytes(GOOD[0]))
    assert CDR.objects.get(external_id="c1").cost is None


@pytest.mark.django_db
def test_importing_the_same_file_twice_imports_nothing_the_second_time(customer):
    cdrs_import_csv(customer=customer, stream=csv_bytes(*GOOD))
    again = cdrs_import_csv(customer=customer, stream=csv_bytes(*GOOD))
    assert (again.imported, again.duplicates) == (0, 3)
    assert CDR.objects.count() == 3


@pytest.mark.django_db
def test_duplicates_within_one_file_are_counted_once(customer):
    result = cdrs_import_csv(customer=customer, stream=csv_bytes(GOOD[0], GOOD[0], GOOD[1]))
    assert (result.imported, result.duplicates) == (2, 1)


@pytest.mark.django_db
def test_same_external_id_at_two_customers_is_two_records(customer):
    other = CustomerFactory()
    cdrs_import_csv(customer=customer, stream=csv_bytes(GOOD[0]))
    result = cdrs_import_csv(
        customer=other,
        stream=csv_bytes("c1,31600000009,2026-09-01T10:00:00+02:00,voice,national,x,1,0,0.1"),
    )
    assert result.imported == 1


@pytest.mark.django_db
def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_imported(customer):
    rows = [
        GOOD[0],  # line 2
        "b1,31600000001,2026-09-01T10:00:00,voice,national,x,1,0,0.1",  # 3: naive timestamp
        "b2,31600000001,2026-09-01T10:00:00+02:00,fax,national,x,1,0,0.1",  # 4
        "b3,31600000001,2026-09-01T10:00:00+02:00,voice,mars,x,1,0,0.1",  # 5
        "b4,31600000001,2026-09-01T10:00:00+02:00,voice,national,x,-1,0,0.1",  # 6
        "b5,31600000001,2026-09-01T10:00:00+02:00,data,national,x,0,1.5,0.1",  # 7
        'b6,31600000001,2026-09-01T10:00:00+02:00,voice,national,x,1,0,"0,10"',  # 8
        "b7,31600000001,2026-09-01T10:00:00+02:00,voice,national,x,1,0",  # 9: too few fields
        ",31600000001,2026-09-01T10:00:00+02:00,voice,national,x,1,0,0.1",  # 10
        "b9,phone,2026-09-01T10:00:00+02:00,voice,national,x,1,0,0.1",  # 11
        "b10,31600000001,2026-09-01T10:00:00+02:00,voice,national,x,1,0,0.12345",  # 12
        "b11,31600000001,not-a-date,voice,national,x,1,0,0.1",  # 13
        "b12,31600000001,2026-09-01T10:00:00+02:00,voice,national,x,1,0,NaN",  # 14
        GOOD[1],  # 15
    ]
    result = cdrs_import_csv(customer=customer, stream=csv_bytes(*rows))
    assert (result.imported, result.rejected) == (2, 12)
    reasons = {e["line"]: e["reason"] for e in result.errors}
    assert sorted(reasons) == list(range(3, 15))
    assert "UTC offset" in reasons[3]
    assert "record_type" in reasons[4]
    assert "zone" in reasons[5]
    assert "duration_s" in reasons[6]
    assert "volume_kb" in reasons[7]
    assert "provider_cost" in reasons[8]
    assert "expected 9 fields" in reasons[9]
    assert "external_id" in reasons[10]
    assert "msisdn" in reasons[11]
    assert "4 decimals" in reasons[12]
    assert "started_at" in reasons[13]
    assert "provider_cost" in reasons[14]


@pytest.mark.django_db
def test_a_device_of_another_customer_is_refused(customer):
    DeviceFactory(msisdn="31600000001", customer=CustomerFactory())
    result = cdrs_import_csv(customer=customer, stream=csv_bytes(*GOOD))
    assert result.imported == 1
    assert {e["reason"] for e in result.errors} == {"msisdn belongs to another customer"}
    assert sorted(e["line"] for e in result.errors) == [2, 3]


@pytest.mark.django_db
def test_an_older_record_moves_the_activation_date_back(customer):
    DeviceFactory(msisdn="31600000001", customer=customer, activated_on=dt.date(2026, 9, 15))
    cdrs_import_csv(customer=customer, stream=csv_bytes(GOOD[0]))
    assert Device.objects.get(msisdn="31600000001").activated_on == dt.date(2026, 9, 1)


@pytest.mark.django_db
def test_a_record_late_on_the_last_utc_day_belongs_to_the_next_amsterdam_month(customer):
    cdrs_import_csv(
        customer=customer,
        stream=csv_bytes("m1,31600000001,2026-09-30T22:30:00+00:00,sms,national,x,0,0,0.08"),
    )
    cdr = CDR.objects.get(external_id="m1")
    assert cdr.cycle_start == dt.date(2026, 10, 1)
    assert cdr.device.activated_on == dt.date(2026, 10, 1)


@pytest.mark.django_db
def test_rows_of_other_months_are_skipped_when_a_cycle_is_asked(customer):
    result = cdrs_import_csv(
        customer=customer,
        cycle_start=dt.date(2026, 9, 1),
        stream=csv_bytes(
            GOOD[0], "o1,31600000001,2026-10-01T10:00:00+02:00,sms,national,x,0,0,0.08"
        ),
    )
    assert result.imported == 1 and result.skipped_other_months == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"external_id,msisdn\n1,2\n", "missing columns"),
        ((HEADER + ",extra\n").encode(), "unknown columns"),
        (HEADER.encode() + b"\n\xff\xfe,bad\n", "UTF-8"),
    ],
)
def test_a_file_that_cannot_import_is_refused_whole(customer, content, message):
    with pytest.raises(ImportRefused, match=message):
        cdrs_import_csv(customer=customer, stream=io.BytesIO(content))
    assert CDR.objects.count() == 0


@pytest.mark.django_db
def test_many_rows_cross_batches(customer, monkeypatch):
    monkeypatch.setattr("telcost.usage.imports.pipeline.BATCH_SIZE", 7)
    rows = [
        f"x{i},316{i % 5:08d},2026-09-01T10:{i % 60:02d}:00+02:00,sms,national,x,0,0,0.08"
        for i in range(50)
    ]
    rows.insert(20, rows[3])  # a duplicate in a later batch
    result = cdrs_import_csv(customer=customer, stream=csv_bytes(*rows))
    assert (result.imported, result.duplicates, result.rejected) == (50, 1, 0)


@pytest.mark.django_db
def test_the_command_prints_the_result(customer, tmp_path, capsys):
    path = tmp_path / "cdrs.csv"
    path.write_bytes(csv_bytes(*GOOD).getvalue())
    call_command("import_cdrs", "--customer", str(customer.pk), str(path))
    assert json.loads(capsys.readouterr().out)["imported"] == 3
    with pytest.raises(CommandError, match="no customer"):
        call_command("import_cdrs", "--customer", "999999", str(path))
    with pytest.raises(CommandError, match="refused"):
        (tmp_path / "bad.csv").write_text("a,b\n")
        call_command("import_cdrs", "--customer", str(customer.pk), str(tmp_path / "bad.csv"))


def upload(client, customer_id, content: bytes, name="cdrs.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import MULTIPART_CONTENT

    return client.post(
        f"/api/customers/{customer_id}/cdr-imports",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
        content_type=MULTIPART_CONTENT,
    )


@pytest.mark.django_db
def test_upload_is_an_import_job_with_the_result_of_spec(api_client, customer, manager, drain_jobs):
    for msisdn in (
        "31600000001",
        "31600000002",
    ):  # a manager imports the customer's own devices only
        DeviceFactory(msisdn=msisdn, customer=customer, activated_on=dt.date(2026, 1, 1))
    content = csv_bytes(
        *GOOD, "bad,31600000001,2026-09-01T10:00:00,voice,national,x,1,0,0.1"
    ).getvalue()
    response = upload(api_client(manager), customer.pk, content)
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.kind == "cdr_import" and job.created_by == manager
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "completed"
    assert job.result["imported"] == 3 and job.result["rejected"] == 1
    assert job.result["errors"] == [
        {"line": 5, "reason": "started_at needs a UTC offset: '2026-09-01T10:00:00'"}
    ]
    detail = api_client(manager).get(f"/api/jobs/{job.pk}").json()
    assert detail["result"]["imported"] == 3 and detail["steps"][0]["name"] == "ImportCdrsCommand"


@pytest.mark.django_db
def test_upload_refusals_queue_nothing(api_client, customer, manager, viewer, outsider):
    good = csv_bytes(*GOOD).getvalue()
    assert upload(api_client(viewer), customer.pk, good).status_code == 403
    assert upload(api_client(outsider), customer.pk, good).status_code == 404
    assert upload(api_client(manager), 999999, good).status_code == 404
    assert upload(api_client(), customer.pk, good).status_code == 401
    bad_header = upload(api_client(manager), customer.pk, b"a,b\n1,2\n")
    assert bad_header.status_code == 400 and "missing columns" in bad_header.json()["error"]
    assert upload(api_client(manager), customer.pk, b"").status_code == 400
    assert upload(api_client(manager), customer.pk, b"\xff\xfe\x00bad").status_code == 400
    from django.test.client import MULTIPART_CONTENT

    no_file = api_client(manager).post(
        f"/api/customers/{customer.pk}/cdr-imports", {}, content_type=MULTIPART_CONTENT
    )
    assert no_file.status_code == 400
    assert Job.objects.count() == 0
