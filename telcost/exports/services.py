"""Workflow 5: request an export, generate its file, mail the link, hand the file out.

The file: each attempt of the generating step writes a part file of its own beside the export's
file (".<name>.s<step>-a<attempt>.part"), and publishes it with os.replace (atomic within a file
system) in the transaction that records the export completed, and only while the attempt still
owns its step (a conditional UPDATE of the step's row, which also holds the row until commit). So
a half-written file is never served, two attempts of one step (a worker taken over while it still
ran) never leave two files, and a dead attempt's part is removed by the next attempt or the sweep.

The mail: its state is recorded before a try ("sending") and as soon as the SMTP server took the
message ("sent", before QUIT), so a retry never sends a sent mail again. A try found "sending"
after a crash is made again: the one window that can still give two mails is between the
server's acceptance and that record (milliseconds); both copies carry the same Message-ID, which
mail clients show once. A failed mail is tried again by a timer with backoff for hours
(TELCOST_EXPORT_MAIL_RETRY_*), and the export shows it.
"""

import datetime as dt
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from smtplib import SMTPException
from typing import Any, Self

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from telcost.core.cycles import BadCycle, cycle_start_of, requested_month
from telcost.customers.models import Customer
from telcost.exports import reports
from telcost.exports.models import CsvDialect, ExportJob
from telcost.exports.writers import CSV_DIALECTS, RFC4180, write_csv
from telcost.exports.xlsx import XLSX_MAX_ROWS, write_xlsx
from telcost.jobs.errors import PermanentError, StepError
from telcost.jobs.kinds import JobKind, register
from telcost.jobs.models import Job, Step
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.usage.billing.reconciliation import reconciles

PART_SUFFIX = ".part"
_PART_OF_STEP = re.compile(r"\.s(\d+)-a(\d+)\.part$")
_MAIL_RETRY_MAX_SECONDS = 3600.0
MailState = ExportJob.MailState


def _always() -> bool:
    return True


class AttemptSuperseded(StepError):
    """The step was handed to another attempt: this one publishes nothing."""


class ExportRequestError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ExportParams:
    """An export job's export (its ExportJob row says what to export)."""

    export_id: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(export_id=int(data["export_id"]))

    def to_json(self) -> dict[str, Any]:
        return {"export_id": self.export_id}


@transaction.atomic
def export_request(
    *,
    customer: Customer,
    user,
    cycle_start_date: dt.date,
    kind: str,
    fmt: str,
    language: str = "en",
    csv_dialect: str = CsvDialect.RFC4180,
) -> ExportJob:
    """An export of the month (or, for cost centers, of the day) in `language`: its headers, sheet
    names and mail (English by default, as the API documents; a page passes its reader's)."""
    language, csv_dialect = _checked(customer, cycle_start_date, kind, fmt, language, csv_dialect)
    # The same request (customer, month — or date of the cost center settings —, kind, format,
    # requester) while one is pending or running is that one: the jobs app's dedupe key decides.
    asked = cycle_start_date
    if kind != ExportJob.Kind.COST_CENTERS:
        asked = cycle_start_of(cycle_start_date)
    export = ExportJob.objects.create(
        customer=customer,
        requested_by=user,
        cycle_start_date=cycle_start_date,
        kind=kind,
        format=fmt,
        language=language,
        csv_dialect=csv_dialect,
    )
    job, joined = job_dispatch(
        kind=EXPORT_KIND,
        customer=customer,
        created_by=user,
        params=ExportParams(export_id=export.pk),
        steps=[StepSpec("GenerateCustomerExcelReportCommand"), StepSpec("SendExportMailCommand")],
        dedupe_key=_dedupe_key(customer, asked, kind, fmt, csv_dialect, user),
    )
    if joined:
        export.delete()  # never seen by anyone: the answer is the export already under way
        return ExportJob.objects.get(job=job)
    ExportJob.objects.filter(pk=export.pk).update(job=job)
    export.job = job
    return export


def _checked(
    customer: Customer, cycle_start_date: dt.date, kind: str, fmt: str, language: str, dialect: str
) -> tuple[str, str]:
    """The request's language and csv dialect, or ExportRequestError for what cannot be asked."""
    if language not in dict(settings.LANGUAGES):
        language = "en"
    if kind not in ExportJob.Kind.values:
        raise ExportRequestError(f"kind must be one of {', '.join(ExportJob.Kind.values)}")
    if fmt not in ExportJob.Format.values:
        raise ExportRequestError(f"format must be one of {', '.join(ExportJob.Format.values)}")
    if dialect not in CsvDialect.values:
        raise ExportRequestError(f"csv_dialect must be one of {', '.join(CsvDialect.values)}")
    if fmt != ExportJob.Format.CSV:
        dialect = CsvDialect.RFC4180  # an xlsx has no dialect: the same request whatever
    try:
        requested_month(cycle_start_date)
    except BadCycle as exc:
        raise ExportRequestError(str(exc)) from None
    if kind == ExportJob.Kind.RECONCILIATION and not reconciles(customer):
        raise ExportRequestError(f"kind: {reports.NO_CONTRACT}")
    return language, dialect


def export_request_within(
    *,
    job: Job,
    customer: Customer,
    user,
    cycle_start_date: dt.date,
    kind: str,
    fmt: str,
    language: str = "en",
) -> ExportJob:
    """An export that a step of another job makes (a monthly report): that step generates it with
    export_generate and that job's own mail carries the link, so it has no export job and never
    sends the "Export completed" mail (its mail state stays "not yet", which no retry picks up).

    One per (job, kind): a step run again finds the export it made. `job` is shown as the
    export's job, and the export's requester may download it as from a request of their own.
    """
    language, dialect = _checked(customer, cycle_start_date, kind, fmt, language, "rfc4180")
    existing = ExportJob.objects.filter(job=job, kind=kind).order_by("pk").first()
    if existing is not None:
        return existing
    return ExportJob.objects.create(
        customer=customer,
        requested_by=user,
        cycle_start_date=cycle_start_of(cycle_start_date),
        kind=kind,
        format=fmt,
        language=language,
        csv_dialect=dialect,
        job=job,
    )


def _dedupe_key(customer, asked: dt.date, kind: str, fmt: str, csv_dialect: str, user) -> str:
    # The rfc4180 csv keeps the key it had before there were dialects.
    dialect = f":{csv_dialect}" if csv_dialect != CsvDialect.RFC4180 else ""
    return f"export:{customer.pk}:{asked:%Y-%m-%d}:{kind}:{fmt}{dialect}:{user.pk}"


def export_file_name(export: ExportJob) -> str:
    """Where the export's file lives in the storage: one name, whichever attempt writes it."""
    return f"exports/{export.pk}/{export.download_name}"


def export_generate(
    *,
    export: ExportJob,
    max_rows: int = XLSX_MAX_ROWS,
    attempt_tag: str = "direct",
    still_owner: Callable[[], bool] = _always,
) -> dict:
    """Write the file under the attempt's own part name; publish it while the attempt owns its step.

    Idempotent: a completed export is left as it is. attempt_tag names the attempt ("s<step>-a<n>");
    still_owner says (inside a transaction, holding the step's row) whether it still runs the step.
    """
    if export.status == ExportJob.Status.COMPLETED and export.file_name:
        return {"file": export.file_name, "rows": export.rows}
    if not still_owner():
        raise AttemptSuperseded("this attempt was handed to another worker")
    ExportJob.objects.filter(pk=export.pk).update(status=ExportJob.Status.RUNNING)
    name = export_file_name(export)
    final = Path(default_storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(f".{final.name}.{attempt_tag}{PART_SUFFIX}")
    for older in final.parent.glob(f".*{PART_SUFFIX}"):
        if older != part:  # an earlier attempt's: this one owns the step now
            older.unlink(missing_ok=True)
    try:
        rows = _write_file(export, str(part), max_rows=max_rows)
        with transaction.atomic():
            if not still_owner():
                raise AttemptSuperseded("this attempt was handed to another worker")
            now = timezone.now()
            ExportJob.objects.filter(pk=export.pk).update(
                status=ExportJob.Status.COMPLETED,
                file_name=name,
                rows=rows,
                completed_at=now,
                expires_at=now + dt.timedelta(days=settings.TELCOST_EXPORT_TTL_DAYS),
            )
            # Last in the transaction: if anything before fails, nothing was published; if the
            # commit fails after it, the next attempt writes the same name again.
            os.replace(part, final)
    finally:
        part.unlink(missing_ok=True)
    return {"file": name, "rows": rows}


def export_parts_sweep(*, min_age_s: float = 3600.0) -> int:
    """Remove part files whose attempt no longer runs (killed on its last attempt, say).

    Returns how many. A part not named after a step (written outside the job engine) goes once
    it is min_age_s old.
    """
    root = Path(default_storage.path("exports"))
    removed = 0
    for part in root.glob(f"*/.*{PART_SUFFIX}") if root.exists() else []:
        match = _PART_OF_STEP.search(part.name)
        if match:
            running = Step.objects.filter(
                pk=int(match[1]), status=Step.Status.RUNNING, attempts=int(match[2])
            )
            if running.exists():
                continue
        else:
            try:
                if time.time() - part.stat().st_mtime < min_age_s:
                    continue
            except FileNotFoundError:
                continue
        part.unlink(missing_ok=True)
        removed += 1
    return removed


def _write_file(export: ExportJob, path: str, *, max_rows: int) -> int:
    """Write the export's rows to path in its format and language; returns the number of rows."""
    with translation.override(export.language or "en"):
        return _write_rows(export, path, max_rows=max_rows)


def _write_rows(export: ExportJob, path: str, *, max_rows: int) -> int:
    customer, csv_format = export.customer, export.format == ExportJob.Format.CSV
    dialect = CSV_DIALECTS.get(export.csv_dialect, RFC4180)
    if export.kind == ExportJob.Kind.CDRS:
        cycle_start = cycle_start_of(export.cycle_start_date)
        if csv_format:
            with open(path, "wb") as stream:
                return reports.write_cdr_csv(stream, customer, cycle_start, dialect)
        sheets = [
            (
                gettext(reports.CDRS_SHEET),
                reports.translated_columns(reports.CDR_COLUMNS),
                reports.cdr_rows(customer, cycle_start, for_xlsx=True),
            )
        ]
    elif export.kind == ExportJob.Kind.COST_CENTERS:
        sheets = [
            (
                gettext(reports.COST_CENTERS_SHEET),
                reports.translated_columns(reports.COST_CENTER_COLUMNS),
                reports.cost_center_rows(customer, export.cycle_start_date),
            )
        ]
    elif export.kind == ExportJob.Kind.DEVICES:
        sheets = [
            (
                gettext(reports.DEVICES_SHEET),
                reports.translated_columns(reports.DEVICE_COLUMNS),
                reports.device_rows(
                    customer, cycle_start_of(export.cycle_start_date), timezone.localdate()
                ),
            )
        ]
    else:
        sheets = _sheets(export)
    if csv_format:
        with open(path, "wb") as stream:
            return write_csv(stream, sheets[0][1], sheets[0][2], dialect)
    return write_xlsx(path, sheets, max_rows=max_rows)


def _sheets(export: ExportJob) -> list:
    """The sheets of the kinds that read a calculated month (totals, reconciliation, chargeback).

    A csv file holds the first: the totals' detail, the overcharged CDRs, the chargeback's
    overview.
    """
    customer, cycle_start = export.customer, cycle_start_of(export.cycle_start_date)
    try:
        if export.kind == ExportJob.Kind.RECONCILIATION:
            return [
                (
                    gettext(reports.OVERCHARGED_SHEET),
                    reports.translated_columns(reports.RECONCILIATION_COLUMNS),
                    reports.reconciliation_rows(customer, cycle_start),
                )
            ]
        if export.kind == ExportJob.Kind.CHARGEBACK:
            return reports.chargeback_sheets(customer, cycle_start)
        return reports.totals_sheets(customer, cycle_start)
    except reports.NothingToExport as exc:
        raise PermanentError(str(exc)) from None


def export_mail(
    *, export: ExportJob, still_owner: Callable[[], bool] = _always, final_try: bool = True
) -> str:
    """Mail the link once; returns what happened: "sent", "sent before", "sending elsewhere",
    or "failed: …".

    A failure is recorded ("retrying" with the next time, or "failed" past the retry window); then
    it is raised unless this is the caller's final try (a step with attempts left retries itself).
    """
    export = ExportJob.objects.select_related("customer", "requested_by").get(pk=export.pk)
    if export.mail_state == MailState.SENT:
        return "sent before"
    claimed_at = _mail_claim(export, still_owner)
    if claimed_at is None:
        return "sending elsewhere"
    try:
        _mail_send(export, claimed_at)
    except (SMTPException, OSError) as exc:
        _mail_failed(export, claimed_at, f"{type(exc).__name__}: {exc}")
        if not final_try:
            raise
        return f"failed: {exc}"
    return "sent"


def _mail_claim(export: ExportJob, still_owner: Callable[[], bool]) -> dt.datetime | None:
    """Record the try ("sending") unless another sender claimed the mail since `export` was read."""
    now = timezone.now()
    with transaction.atomic():
        if not still_owner():
            return None
        claimed = (
            ExportJob.objects.filter(
                pk=export.pk, mail_state=export.mail_state, mail_sending_at=export.mail_sending_at
            )
            .exclude(mail_state=MailState.SENT)
            .update(
                mail_state=MailState.SENDING, mail_sending_at=now, mail_tries=F("mail_tries") + 1
            )
        )
    return now if claimed else None


_KIND_NAMES = {
    ExportJob.Kind.CDRS: translation.gettext_noop("CDRs"),
    ExportJob.Kind.COST_CENTERS: translation.gettext_noop("cost centers"),
    ExportJob.Kind.TOTALS: translation.gettext_noop("totals"),
    ExportJob.Kind.DEVICES: translation.gettext_noop("devices"),
    ExportJob.Kind.RECONCILIATION: translation.gettext_noop("reconciliation"),
    ExportJob.Kind.CHARGEBACK: translation.gettext_noop("chargeback"),
}


def _mail_text(export: ExportJob, link: str) -> tuple[str, str]:
    """The mail's subject and body in the export's language (the requester's, from a page)."""
    with translation.override(export.language or "en"):
        until = timezone.localtime(export.expires_at) if export.expires_at else None
        values = {
            "kind": gettext(_KIND_NAMES.get(export.kind, export.kind)),
            "customer": export.customer.name,
            "month": date_format(export.cycle_start_date, "YEAR_MONTH_FORMAT"),
            "link": link,
            "until": date_format(until, "DATE_FORMAT") if until else "—",
        }
        body = (
            gettext(
                "Your %(kind)s export of %(customer)s (%(month)s) is ready.\n\n"
                "Download: %(link)s\n\nThe link works until %(until)s."
            )
            % values
        )
        return gettext("Export completed"), body


def _mail_send(export: ExportJob, claimed_at: dt.datetime) -> None:
    link = f"{settings.TELCOST_BASE_URL}/download/export/{export.pk}"
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "telcost"
    subject, body = _mail_text(export, link)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[export.requested_by.email or f"{export.requested_by.username}@localhost"],
        # One Message-ID per export: a retry's copy in the unavoidable window is the same message.
        headers={"Message-ID": f"<telcost-export-{export.pk}@{domain}>"},
    )
    with mailers.default as connection:
        connection.send_messages([message])
        # The server took it: recorded before QUIT, so a worker killed while closing never
        # sends it again.
        ExportJob.objects.filter(
            pk=export.pk, mail_state=MailState.SENDING, mail_sending_at=claimed_at
        ).update(
            mail_state=MailState.SENT, mailed_at=timezone.now(), mail_error="", mail_next_at=None
        )


def _mail_failed(export: ExportJob, claimed_at: dt.datetime, error: str) -> None:
    """Next try after first × 2^(tries − 1) seconds (at most an hour), within the retry window."""
    now = timezone.now()
    tries = export.mail_tries + 1
    first = settings.TELCOST_EXPORT_MAIL_RETRY_FIRST_SECONDS
    hours = settings.TELCOST_EXPORT_MAIL_RETRY_HOURS
    delay = min(_MAIL_RETRY_MAX_SECONDS, first * 2 ** (tries - 1))
    give_up_at = (export.completed_at or now) + dt.timedelta(hours=hours)
    if export.expires_at:
        give_up_at = min(give_up_at, export.expires_at)
    next_at = now + dt.timedelta(seconds=delay)
    state = MailState.RETRYING if next_at <= give_up_at else MailState.FAILED
    ExportJob.objects.filter(
        pk=export.pk, mail_state=MailState.SENDING, mail_sending_at=claimed_at
    ).update(
        mail_state=state,
        mail_error=error[:500],
        mail_next_at=next_at if state == MailState.RETRYING else None,
    )


def exports_mail_retry(*, now: dt.datetime | None = None, limit: int = 20) -> int:
    """Try the due mails of exports whose job has ended (while it runs, its mail step sends).

    Also a try left "sending" longer than a step may go without a heartbeat: its sender died.
    Several workers may run this at once: each mail is claimed by a conditional UPDATE.
    """
    now = now or timezone.now()
    dead_before = now - dt.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    due = (
        ExportJob.objects.filter(status=ExportJob.Status.COMPLETED)
        .filter(
            Q(mail_state=MailState.RETRYING, mail_next_at__lte=now)
            | Q(mail_state=MailState.SENDING, mail_sending_at__lt=dead_before)
        )
        .exclude(job__status__in=Job.ACTIVE)
        .order_by("mail_next_at")[:limit]
    )
    return sum(export_mail(export=export) == "sent" for export in due)


def export_status_follow_job(job: Job, params: ExportParams) -> None:
    """A job that did not complete leaves its export failed with the reason.

    The kind's reaction, after the job's end committed; it may run more than once.
    """
    if job.status == Job.Status.COMPLETED:
        return
    ExportJob.objects.filter(job=job).exclude(status=ExportJob.Status.COMPLETED).update(
        status=ExportJob.Status.FAILED, error=job.error
    )


EXPORT_KIND = register(
    JobKind(
        name="export", label=_("Export"), params=ExportParams, on_ended=export_status_follow_job
    )
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
