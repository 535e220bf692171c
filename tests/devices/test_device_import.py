"""The bulk device import: a job whose result counts each line's verdict, with each rejected
line's reason; one transaction; a second run of its step changes nothing."""

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from telcost.audit.models import AuditEntry
from telcost.customers.device_imports import devices_import_csv
from telcost.customers.models import CostCenterAssignment, Device
from telcost.devices.services import UPLOADS_FOLDER, device_import_dispatch, device_imports_sweep
from telcost.jobs.models import Job
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
)

pytestmark = pytest.mark.django_db

HEADER = "msisdn,iccid,label,user_name,cost_center_code,activated_on,deactivated_on\n"


@pytest.fixture
def inventory(customer):
    ops = CostCenterFactory(customer=customer, code="OPS", name="Operations")
    CostCenterFactory(customer=customer, code="SALES", name="Sales")
    known = DeviceFactory(
        customer=customer, msisdn="31611111111", iccid="89310001", label="Old", user_name="Anna"
    )
    same = DeviceFactory(customer=customer, msisdn="31622222222", iccid="89310002", label="Same")
    CostCenterAssignmentFactory(device=known, cost_center=ops, valid_from=dt.date(2026, 1, 1))
    CostCenterAssignmentFactory(device=same, cost_center=ops, valid_from=dt.date(2026, 1, 1))
    DeviceFactory(customer=CustomerFactory(name="Secret Corp"), msisdn="31699999999")
    return customer


FILE = HEADER + (
    "31611111111,,New label,Anna Jansen,SALES,,\n"  # 2 updated: label, user, cost center
    "31622222222,89310002,Same,,OPS,,\n"  # 3 unchanged
    "31633333333,89310003,Tablet,Bert,OPS,2026-10-01,\n"  # 4 created
    "31644444444,,,,NOPE,2026-10-01,\n"  # 5 rejected: unknown cost center
    "31699999999,,,,,2026-10-01,\n"  # 6 rejected: another customer's
    "12,,,,,2026-10-01,\n"  # 7 rejected: msisdn
    "31655555555,,,,,,\n"  # 8 rejected: new without activated_on
    "31666666666,,,,,2026-10-01,2026-09-01\n"  # 9 rejected: deactivated before activated
    "31633333333,,,,,2026-10-01,\n"  # 10 rejected: twice in the file
    "31677777777,,,,,01-10-2026,\n"  # 11 rejected: not a date
    "\n"  # blank lines are skipped
    "31688888888,only,three\n"  # 13 rejected: columns
)
EXPECTED = {
    "created": 1,
    "updated": 1,
    "unchanged": 1,
    "rejected": 8,
    "errors": [
        {"line": 5, "reason": "cost_center_code: no cost center 'NOPE'"},
        {"line": 6, "reason": "msisdn is already a device"},
        {"line": 7, "reason": "msisdn: must be 6 to 20 digits"},
        {"line": 8, "reason": "activated_on: required for a new device"},
        {"line": 9, "reason": "deactivated_on: before activated_on"},
        {"line": 10, "reason": "msisdn: on an earlier line of this file too"},
        {"line": 11, "reason": "activated_on: not a date (YYYY-MM-DD): '01-10-2026'"},
        {"line": 13, "reason": "line: 7 columns expected, found 3"},
    ],
}


def post_file(client, customer, text):
    from django.test.client import MULTIPART_CONTENT

    return client.post(
        f"/api/customers/{customer.pk}/device-imports",
        {"file": SimpleUploadedFile("devices.csv", text.encode(), content_type="text/csv")},
        content_type=MULTIPART_CONTENT,
    )


def test_the_import_job_counts_each_line_and_names_each_rejected_one(
    api_client, inventory, staff_user, drain_jobs
):
    response = post_file(api_client(staff_user), inventory, FILE)
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.kind == "device_import" and job.created_by == staff_user
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "completed", job.error
    assert job.result == EXPECTED
    today = timezone.localdate()
    known = Device.objects.get(msisdn="31611111111")
    assert (known.label, known.user_name, known.iccid) == ("New label", "Anna Jansen", "89310001")
    assert known.cost_center_assignments.get(valid_from=today).cost_center.code == "SALES"
    new = Device.objects.get(msisdn="31633333333")
    assert new.customer == inventory and new.activated_on == dt.date(2026, 10, 1)
    assert new.cost_center_assignments.get().valid_from == dt.date(2026, 10, 1)
    assert not Device.objects.filter(msisdn__in=["31644444444", "31655555555"]).exists()
    assert Device.objects.get(msisdn="31699999999").customer != inventory
    # The audit log names who uploaded the file, not "system".
    changed = AuditEntry.objects.get(object_type="device", object_id=known.pk, action="changed")
    created = AuditEntry.objects.get(object_type="device", object_id=new.pk, action="created")
    assert changed.actor == created.actor == "staff"
    assert changed.changes == {"label": ["Old", "New label"], "user_name": ["Anna", "Anna Jansen"]}


def test_the_step_run_again_changes_nothing(inventory):
    today = timezone.localdate()
    first = devices_import_csv(customer=inventory, stream=io.BytesIO(FILE.encode()), today=today)
    devices = list(Device.objects.values().order_by("pk"))
    assignments = list(CostCenterAssignment.objects.values().order_by("pk"))
    entries = AuditEntry.objects.count()
    again = devices_import_csv(customer=inventory, stream=io.BytesIO(FILE.encode()), today=today)
    assert first["created"] == 1 and first["updated"] == 1
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert again["rejected"] == first["rejected"]
    assert list(Device.objects.values().order_by("pk")) == devices
    assert list(CostCenterAssignment.objects.values().order_by("pk")) == assignments
    assert AuditEntry.objects.count() == entries


def test_a_file_that_is_not_an_inventory_is_400_and_no_job(api_client, inventory, staff_user):
    client = api_client(staff_user)
    for text in ("", "msisdn,label\n31611111111,x\n", "\xff\xfe"):
        response = post_file(client, inventory, text)
        assert response.status_code == 400 and response.json()["error"].startswith("file")
    assert post_file(client, inventory, "").json()["error"] == "file: the file is empty"
    assert not Job.objects.filter(kind="device_import").exists()


def test_only_staff_import(api_client, inventory, manager, viewer, outsider):
    assert post_file(api_client(manager), inventory, FILE).status_code == 403
    assert post_file(api_client(viewer), inventory, FILE).status_code == 403
    assert post_file(api_client(outsider), inventory, FILE).status_code == 404
    assert post_file(api_client(), inventory, FILE).status_code == 401
    assert not Job.objects.filter(kind="device_import").exists()


def test_the_step_handler_run_twice_on_its_stored_file_leaves_one_result(
    api_client, inventory, staff_user
):
    """As when a worker dies after the import committed and another takes the step over."""
    from types import SimpleNamespace

    from telcost.devices.steps import import_devices

    job = Job.objects.get(pk=post_file(api_client(staff_user), inventory, FILE).json()["job_id"])
    ctx = SimpleNamespace(job=job, progress_in_transaction=lambda *args: None)
    first = import_devices(ctx)
    devices = list(Device.objects.values().order_by("pk"))
    again = import_devices(ctx)
    assert first == EXPECTED
    assert again == {**EXPECTED, "created": 0, "updated": 0, "unchanged": 3}
    assert list(Device.objects.values().order_by("pk")) == devices


def test_a_file_whose_dispatch_rolled_back_is_swept_and_a_running_jobs_file_is_kept(
    inventory, staff_user, settings, tmp_path
):
    # default_storage: this test's files only
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path)}},
    }
    upload = SimpleUploadedFile("devices.csv", FILE.encode(), content_type="text/csv")
    with pytest.raises(RuntimeError), transaction.atomic():
        device_import_dispatch(customer=inventory, upload=upload, user=staff_user)
        raise RuntimeError("the request failed after the dispatch")
    assert not Job.objects.filter(kind="device_import").exists()
    [orphan] = default_storage.listdir(UPLOADS_FOLDER)[1]
    upload = SimpleUploadedFile("devices.csv", FILE.encode(), content_type="text/csv")
    running = device_import_dispatch(customer=inventory, upload=upload, user=staff_user)
    kept = Job.objects.get(pk=running.pk).params["file"]
    now = timezone.now()
    assert device_imports_sweep(now=now) == 0  # its transaction may still be committing
    assert device_imports_sweep(now=now + dt.timedelta(hours=2)) == 1
    assert default_storage.listdir(UPLOADS_FOLDER)[1] == [kept.rpartition("/")[2]]
    assert orphan != kept.rpartition("/")[2]
