"""An upload is imported whole or not at all, named to its line when it cannot be read, within
limits.

Issue 13 item 13 and issue 14 items 3 and 5: a file found unreadable past its first batch and
its first chunk leaves no record behind and names the exact line; the stored upload goes when
its job ends; bodies over the size limit are refused before they are stored; an over-long line
is a rejected record and never in memory whole (a real worker's peak RSS); a customer's own
user imports only the customer's devices.
"""

import datetime as dt
import io
import time

import psutil
import pytest
from django.core.files.base import File
from django.core.files.storage import default_storage

from telcost.core.cdr_format import ImportRefused
from telcost.customers.models import Device
from telcost.jobs.models import Job
from telcost.usage.imports import services as import_services
from telcost.usage.imports.pipeline import cdrs_import_csv
from telcost.usage.imports.services import cdr_import_dispatch
from telcost.usage.models import CDR
from tests.conftest import wait_for
from tests.factories import CustomerFactory, DeviceFactory
from tests.usage.imports.test_imports import GOOD, HEADER, csv_bytes, upload

ROWS = 30_000  # past the first batch (20,000) and the first megabyte the reader decodes
BAD_LINE = 25_002


def good_row(i: int) -> str:
    return f"w{i},316{i % 50:08d},2026-09-{1 + i % 28:02d}T10:00:00+02:00,sms,national,x,0,0,0.08"


def big_csv(bad_line: int | None = None, bad: str = "") -> bytes:
    """ROWS records; the record at bad_line (the header is line 1) replaced by `bad`."""
    rows = [good_row(i) for i in range(ROWS)]
    if bad_line is not None:
        rows[bad_line - 2] = bad
    return ("\n".join([HEADER, *rows]) + "\n").encode().replace(b"<FF>", b"\xff")


@pytest.fixture(autouse=True)
def uploads_var(settings, tmp_path):
    """A var folder of this test's own, so its stored uploads are the only ones (workers get it
    too)."""
    var = tmp_path / "var"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(var / "files")}},
    }
    return var


def stored_uploads() -> list[str]:
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


UNREADABLE = {
    "a byte that is not UTF-8": (
        "w1,31600000001,2026-09-01T10:00:00+02:00,sms,national,caf<FF>,0,0,0.08",
        f"line {BAD_LINE}: the file is not UTF-8 text",
    ),
    "a quote that is never closed": (
        'w1,31600000001,2026-09-01T10:00:00+02:00,sms,national,"x,0,0,0.08',
        f"line {BAD_LINE}: ",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(UNREADABLE))
def test_a_file_unreadable_past_its_first_batch_imports_nothing_and_names_the_line(customer, case):
    bad, message = UNREADABLE[case]
    with pytest.raises(ImportRefused) as refused:
        cdrs_import_csv(customer=customer, stream=io.BytesIO(big_csv(BAD_LINE, bad)))
    assert str(refused.value).startswith(message), str(refused.value)
    assert CDR.objects.count() == 0 and Device.objects.count() == 0


@pytest.mark.django_db
def test_a_quote_never_closed_in_the_last_record_names_its_line(customer):
    content = csv_bytes(
        GOOD[0], GOOD[1], 'u1,31600000001,2026-09-01T10:00:00+02:00,sms,national,"x,0,0,0.08'
    )
    with pytest.raises(ImportRefused, match="^line 4: "):
        cdrs_import_csv(customer=customer, stream=content)
    assert CDR.objects.count() == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_upload_that_fails_in_a_worker_leaves_no_records_and_no_stored_file(
    api_client, start_worker, uploads_var
):
    customer = CustomerFactory()
    staff = _staff()
    response = upload(
        api_client(staff), customer.pk, big_csv(BAD_LINE, UNREADABLE["a byte that is not UTF-8"][0])
    )
    assert response.status_code == 202, response.content
    assert len(stored_uploads()) == 1
    start_worker("imports", TELCOST_VAR_DIR=uploads_var)
    job = wait_for(
        lambda: Job.objects.filter(
            pk=response.json()["job_id"], status__in=["completed", "failed"]
        ).first(),
        timeout=120,
        message="the import job to end",
    )
    assert job.status == "failed" and f"line {BAD_LINE}: the file is not UTF-8 text" in job.error
    assert CDR.objects.filter(customer=customer).count() == 0
    wait_for(lambda: not stored_uploads(), timeout=10, message="the stored upload to be removed")


@pytest.mark.django_db
def test_the_stored_upload_is_removed_when_its_job_completes(
    api_client, customer, staff_user, drain_jobs, django_capture_on_commit_callbacks
):
    assert (
        upload(api_client(staff_user), customer.pk, csv_bytes(*GOOD).getvalue()).status_code == 202
    )
    assert len(stored_uploads()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        drain_jobs()
    assert Job.objects.get().status == "completed"
    assert stored_uploads() == []


@pytest.mark.django_db
def test_uploads_kept_for_support_go_when_their_days_are_over(
    api_client, customer, staff_user, drain_jobs, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_UPLOADS_KEEP_DAYS = 2
    response = upload(api_client(staff_user), customer.pk, csv_bytes(*GOOD).getvalue())
    with django_capture_on_commit_callbacks(execute=True):
        drain_jobs()
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.status == "completed" and len(stored_uploads()) == 1
    assert import_services.cdr_uploads_expire(now=job.finished_at + dt.timedelta(days=1)) == 0
    assert len(stored_uploads()) == 1
    assert (
        import_services.cdr_uploads_expire(now=job.finished_at + dt.timedelta(days=2, seconds=1))
        == 1
    )
    assert stored_uploads() == []


@pytest.mark.django_db
def test_an_upload_over_the_size_limit_is_refused_before_it_is_stored(
    api_client, customer, staff_user, settings
):
    settings.UPLOAD_MAX_MB = 1
    content = csv_bytes(*[good_row(i) for i in range(16_000)]).getvalue()
    assert len(content) > 1024 * 1024
    response = upload(api_client(staff_user), customer.pk, content)
    assert response.status_code == 413, response.content
    assert response.json() == {"error": "the file is larger than 1 MB"}
    assert Job.objects.count() == 0 and stored_uploads() == []
    small = upload(api_client(staff_user), customer.pk, csv_bytes(*GOOD).getvalue())
    assert small.status_code == 202


@pytest.mark.django_db
def test_a_line_over_64_kb_is_a_rejected_record_with_its_number(customer):
    padded = (
        f"p1,31600000001,2026-09-01T10:00:00+02:00,sms,national,{' ' * 5000}x{' ' * 5000},0,0,0.08"
    )
    long_bad = f"p2,31600000001,2026-09-01T10:00:00+02:00,sms,national,{'y' * 50_000},0,0,0.08"
    content = csv_bytes(GOOD[0], "," * 70_000, padded, long_bad, "z" * 200_000, GOOD[1])
    result = cdrs_import_csv(customer=customer, stream=content)
    assert (result.imported, result.rejected) == (3, 3)
    errors = {e["line"]: e["reason"] for e in result.errors}
    assert errors[3] == "line 3 is longer than 64 KB" and errors[6] == "line 6 is longer than 64 KB"
    assert errors[5] == "destination is longer than 64 characters"
    assert CDR.objects.get(external_id="p1").destination == "x"  # a padded value is a value


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_imports_a_file_with_a_huge_line_in_bounded_memory(
    tmp_path, start_worker, uploads_var
):
    customer = CustomerFactory()
    path = tmp_path / "huge.csv"
    with open(path, "wb") as out:
        out.write(f"{HEADER}\n{GOOD[0]}\n".encode())
        for _ in range(160):  # one line of 160 MB of commas, as the trial sent
            out.write(b"," * (1024 * 1024))
        out.write(f"\n{GOOD[1]}\n".encode())
    worker = start_worker("memory", TELCOST_VAR_DIR=uploads_var)
    process = psutil.Process(worker.pid)
    wait_for(
        lambda: "started" in open(worker.log_path).read(), timeout=30, message="the worker to start"
    )
    time.sleep(1)  # the worker has imported its modules: the memory it starts from
    baseline = process.memory_info().rss
    with open(path, "rb") as stream:
        job = cdr_import_dispatch(
            customer=customer,
            upload=File(stream, name="huge.csv"),
            user=_staff(),
            own_devices_only=False,
        ).job
    peak = baseline
    deadline = time.monotonic() + 180
    while Job.objects.get(pk=job.pk).status in Job.ACTIVE and time.monotonic() < deadline:
        peak = max(peak, process.memory_info().rss)
        time.sleep(0.01)
    job.refresh_from_db()
    assert job.status == "completed", job.error
    assert job.result["imported"] == 2
    assert job.result["errors"] == [{"line": 3, "reason": "line 3 is longer than 64 KB"}]
    with open(f"/proc/{worker.pid}/status") as status:  # the kernel's high-water mark, to the byte
        high_water = next(
            int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")
        )
    print(f"worker RSS: start {baseline >> 20} MB, peak {max(peak, high_water) >> 20} MB")
    assert max(peak, high_water) - baseline < 32 * 1024 * 1024, (baseline, peak, high_water)


@pytest.mark.django_db
def test_a_managers_upload_imports_only_the_customers_own_devices(
    api_client, customer, manager, staff_user, drain_jobs
):
    DeviceFactory(msisdn="31600000001", customer=customer)
    DeviceFactory(msisdn="31600000002", customer=CustomerFactory())
    rows = [GOOD[0], GOOD[2], "n1,31600000003,2026-09-01T10:00:00+02:00,sms,national,x,0,0,0.08"]
    response = upload(api_client(manager), customer.pk, csv_bytes(*rows).getvalue())
    drain_jobs()
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.result["imported"] == 1
    # One text whoever owns the number, or nobody: the manager learns nothing, and claims nothing.
    assert job.result["errors"] == [
        {"line": 3, "reason": "msisdn is not a device of this customer"},
        {"line": 4, "reason": "msisdn is not a device of this customer"},
    ]
    assert not Device.objects.filter(msisdn="31600000003").exists()
    assert Device.objects.get(msisdn="31600000002").customer != customer

    staff = upload(api_client(staff_user), customer.pk, csv_bytes(*rows).getvalue())
    drain_jobs()
    result = Job.objects.get(pk=staff.json()["job_id"]).result
    assert result["imported"] == 1 and result["duplicates"] == 1
    assert result["errors"] == [{"line": 3, "reason": "msisdn belongs to another customer"}]
    assert Device.objects.get(msisdn="31600000003").customer == customer


def _staff():
    from tests.factories import UserFactory

    return UserFactory(is_staff=True)


@pytest.mark.django_db
def test_crlf_line_ends_a_bom_and_unicode_line_breaks_in_values_keep_the_line_numbers(customer):
    rows = [
        GOOD[0],
        "u2,31600000001,2026-09-02T10:00:00+02:00,sms,national,a\u2028b,0,0,0.08",
        "u3,31600000001,2026-09-02T10:00:00+02:00,sms,national,x,0,0,oops",
        GOOD[1],
    ]
    content = ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode()
    result = cdrs_import_csv(customer=customer, stream=io.BytesIO(content))
    assert (result.imported, result.rejected) == (3, 1)
    assert result.errors[0]["line"] == 4 and "provider_cost" in result.errors[0]["reason"]
    assert CDR.objects.get(external_id="u2").destination == "a\u2028b"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_long_whole_file_import_is_not_taken_over_as_lost(api_client, start_worker, uploads_var):
    """The import holds one transaction for many heartbeats: no other worker may take its step
    over."""
    customer = CustomerFactory()
    stale = 2.0
    fast = {
        "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
        "TELCOST_JOBS_STALE_AFTER_SECONDS": str(stale),
        "TELCOST_JOBS_SWEEP_SECONDS": "0.3",
        "TELCOST_VAR_DIR": uploads_var,
    }
    rows = [good_row(i) for i in range(300_000)]
    response = upload(
        api_client(_staff()), customer.pk, ("\n".join([HEADER, *rows]) + "\n").encode()
    )
    start_worker("first", **fast)
    start_worker("second", **fast)
    job = wait_for(
        lambda: Job.objects.filter(
            pk=response.json()["job_id"], status__in=["completed", "failed"]
        ).first(),
        timeout=180,
        message="the import job to end",
    )
    assert job.status == "completed", job.error
    step = job.steps.get()
    assert (
        step.finished_at - step.started_at
    ).total_seconds() > stale  # it outlived the stale limit
    assert step.attempts == 1
    assert (job.result["imported"], job.result["duplicates"]) == (300_000, 0)


@pytest.mark.django_db
def test_a_file_with_carriage_returns_alone_as_line_ends_is_refused_with_a_reason(customer):
    content = ("\n".join([HEADER, GOOD[0]]) + "\n" + GOOD[1] + "\r" + GOOD[2] + "\n").encode()
    with pytest.raises(ImportRefused, match=r"^line 3: a line ends in a carriage return alone"):
        cdrs_import_csv(customer=customer, stream=io.BytesIO(content))
    assert CDR.objects.count() == 0
