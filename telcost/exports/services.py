"""Workflow 5: request an export, generate its file, mail the link, hand the file out.

The file is written to a private temporary file first and handed to Django's
storage only when complete; the export becomes downloadable in the same
transaction that records it. A half-written file is never served.
"""

import datetime as dt
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from telcost.customers.models import Customer
from telcost.exports import reports
from telcost.exports.models import ExportJob
from telcost.exports.writers import write_csv
from telcost.exports.xlsx import XLSX_MAX_ROWS, write_xlsx
from telcost.jobs.errors import PermanentError
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.usage.cycles import cycle_start_of


class ExportRequestError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@transaction.atomic
def export_request(*, customer: Customer, user, cycle_start_date: dt.date, kind: str, fmt: str) -> ExportJob:
    if kind not in ExportJob.Kind.values:
        raise ExportRequestError(f"kind must be one of {', '.join(ExportJob.Kind.values)}")
    if fmt not in ExportJob.Format.values:
        raise ExportRequestError(f"format must be one of {', '.join(ExportJob.Format.values)}")
    if not dt.date(2000, 1, 1) <= cycle_start_date <= timezone.localdate() + dt.timedelta(days=366):
        raise ExportRequestError("cycle_start_date is outside any data")
    export = ExportJob.objects.create(customer=customer, requested_by=user, cycle_start_date=cycle_start_date,
                                      kind=kind, format=fmt)
    job = job_dispatch(
        kind="export",
        customer=customer,
        created_by=user,
        params={"export_id": export.pk},
        steps=[StepSpec("GenerateCustomerExcelReportCommand"), StepSpec("SendExportMailCommand")],
    )
    ExportJob.objects.filter(pk=export.pk).update(job=job)
    export.job = job
    return export


def export_generate(*, export: ExportJob, max_rows: int = XLSX_MAX_ROWS) -> dict:
    """Write the file; idempotent: a completed export is left as it is."""
    if export.status == ExportJob.Status.COMPLETED and export.file_name:
        return {"file": export.file_name, "rows": export.rows}
    ExportJob.objects.filter(pk=export.pk).update(status=ExportJob.Status.RUNNING)
    tmp_dir = Path(settings.VAR_DIR) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    handle, tmp_path = tempfile.mkstemp(dir=tmp_dir, suffix=f".{export.format}")
    os.close(handle)
    try:
        rows = _write_file(export, tmp_path, max_rows=max_rows)
        with open(tmp_path, "rb") as complete:
            name = default_storage.save(f"exports/{export.pk}/{export.download_name}", File(complete))
    finally:
        os.unlink(tmp_path)
    now = timezone.now()
    ExportJob.objects.filter(pk=export.pk).update(
        status=ExportJob.Status.COMPLETED, file_name=name, rows=rows, completed_at=now,
        expires_at=now + dt.timedelta(days=settings.TELCOST_EXPORT_TTL_DAYS),
    )
    return {"file": name, "rows": rows}


def _write_file(export: ExportJob, path: str, *, max_rows: int) -> int:
    """Write the export's rows to path in its format; returns the number of rows."""
    customer, csv_format = export.customer, export.format == ExportJob.Format.CSV
    if export.kind == ExportJob.Kind.CDRS:
        cycle_start = cycle_start_of(export.cycle_start_date)
        if csv_format:
            with open(path, "wb") as stream:
                return reports.write_cdr_csv(stream, customer, cycle_start)
        sheets = [("CDRs", reports.CDR_COLUMNS, reports.cdr_rows(customer, cycle_start, for_xlsx=True))]
    elif export.kind == ExportJob.Kind.COST_CENTERS:
        sheets = [("Cost centers", reports.COST_CENTER_COLUMNS, reports.cost_center_rows(customer, export.cycle_start_date))]
    else:
        try:
            sheets = reports.totals_sheets(customer, cycle_start_of(export.cycle_start_date))
        except reports.NothingToExport as exc:
            raise PermanentError(str(exc)) from None
    if csv_format:
        with open(path, "wb") as stream:
            return write_csv(stream, sheets[0][1], sheets[0][2])
    return write_xlsx(path, sheets, max_rows=max_rows)


def export_mail(*, export: ExportJob) -> None:
    link = f"{settings.TELCOST_BASE_URL}/download/export/{export.pk}"
    send_mail(
        subject="Export completed",
        message=(f"Your {export.kind} export of {export.customer.name} ({export.cycle_start_date:%Y-%m}) is ready.\n\n"
                 f"Download: {link}\n\nThe link works until {export.expires_at:%Y-%m-%d}."),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[export.requested_by.email or f"{export.requested_by.username}@localhost"],
    )
    ExportJob.objects.filter(pk=export.pk).update(mailed_at=timezone.now(), mail_error="")


def export_mail_failed(*, export: ExportJob, error: str) -> None:
    ExportJob.objects.filter(pk=export.pk).update(mail_error=error[:500])


def export_status_follow_job(*, job: Job) -> None:
    """A failed job leaves its export failed with the reason."""
    ExportJob.objects.filter(job=job).exclude(status=ExportJob.Status.COMPLETED).update(
        status=ExportJob.Status.FAILED, error=job.error
    )


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Remove the files of expired exports (the worker side runs this on a timer)."""
    now = now or timezone.now()
    expired = 0
    for export in ExportJob.objects.filter(status=ExportJob.Status.COMPLETED, expires_at__lte=now):
        if export.file_name and default_storage.exists(export.file_name):
            default_storage.delete(export.file_name)
        expired += ExportJob.objects.filter(pk=export.pk, status=ExportJob.Status.COMPLETED).update(
            status=ExportJob.Status.EXPIRED
        )
    return expired
