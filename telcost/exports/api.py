"""POST /api/exports and GET /download/export/{id}."""

import datetime as dt
from typing import Literal

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.access import EXPORT, customer_for_user
from telcost.core.api_schemas import Out, answers
from telcost.core.cycles import BadCycle, requested_month
from telcost.exports.models import CsvDialect, ExportJob
from telcost.exports.selectors import export_for_user
from telcost.exports.services import ExportRequestError, export_request
from telcost.idempotency.decorators import idempotent

router = Router(tags=["exports"])

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class ExportIn(Schema):
    customer_id: int
    cycle_start_date: dt.date
    kind: Literal[tuple(ExportJob.Kind.values)]
    format: Literal[tuple(ExportJob.Format.values)] = ExportJob.Format.XLSX.value
    csv_dialect: Literal[tuple(CsvDialect.values)] = Field(
        CsvDialect.RFC4180.value,
        description="How a csv is written: rfc4180 (the default: ',' and '7482.3056') or excel-nl "
        "(';', a decimal comma '7482,3056' and a UTF-8 byte order mark, as Dutch Excel opens it). "
        "An xlsx ignores it.",
    )
    language: Literal["en", "nl"] = Field(
        "en",
        description="The file's column headers and sheet names and the link's mail: English (the "
        "default, the names this API documents) or Dutch. Values are the same in both.",
    )


class ExportAccepted(Out):
    export_id: int
    job_id: int | None
    status_url: str
    download_url: str


class ExportOut(Out):
    id: int
    status: Literal[tuple(ExportJob.Status.values)]
    kind: Literal[tuple(ExportJob.Kind.values)]
    format: Literal[tuple(ExportJob.Format.values)]
    csv_dialect: Literal[tuple(CsvDialect.values)]
    job_id: int | None
    rows: int
    error: str
    expires_at: dt.datetime | None
    # The link's mail: "" (not yet), sending, sent, retrying (see mail_next_at), failed.
    mail_state: Literal[tuple(ExportJob.MailState.values)]
    mail_error: str
    mail_tries: int
    mail_next_at: dt.datetime | None
    mailed_at: dt.datetime | None


# The file itself; its errors are JSON like every other.
_FILE = {
    "description": "The export's file",
    "content": {
        content_type: {"schema": {"type": "string", "format": "binary"}}
        for content_type in CONTENT_TYPES.values()
    },
}


@router.post("/api/exports", response=answers({202: ExportAccepted}, 403, 404))
@idempotent
def create_export(request, payload: ExportIn):
    customer = customer_for_user(user=request.user, customer_id=payload.customer_id, right=EXPORT)
    try:
        requested_month(payload.cycle_start_date)
    except BadCycle as exc:
        raise HttpError(400, str(exc)) from None
    try:
        export = export_request(
            customer=customer,
            user=request.user,
            cycle_start_date=payload.cycle_start_date,
            kind=payload.kind,
            fmt=payload.format,
            language=payload.language,
            csv_dialect=payload.csv_dialect,
        )
    except ExportRequestError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(
        202,
        {
            "export_id": export.pk,
            "job_id": export.job_id,
            "status_url": f"/api/jobs/{export.job_id}",
            "download_url": f"/download/export/{export.pk}",
        },
    )


def export_for(request, export_id: int) -> ExportJob:
    """The export if the user may have it now; 404 for anyone else (no probing)."""
    export = export_for_user(user=request.user, export_id=export_id)
    if export is None:
        raise Http404("Export not found")
    return export


@router.get("/api/exports/{export_id}", response=answers({200: ExportOut}, 404))
def export_detail(request, export_id: int):
    export = export_for(request, export_id)
    return {
        "id": export.pk,
        "status": export.status,
        "kind": export.kind,
        "format": export.format,
        "csv_dialect": export.csv_dialect,
        "job_id": export.job_id,
        "rows": export.rows,
        "error": export.error,
        "expires_at": export.expires_at,
        # The link's mail: "" (not yet), sending, sent, retrying (see mail_next_at), failed.
        "mail_state": export.mail_state,
        "mail_error": export.mail_error,
        "mail_tries": export.mail_tries,
        "mail_next_at": export.mail_next_at,
        "mailed_at": export.mailed_at,
    }


@router.get(
    "/download/export/{export_id}",
    response=answers({}, 404, 409, 410),
    openapi_extra={"responses": {200: _FILE}},
)
def download_export(request, export_id: int):
    export = export_for(request, export_id)
    if export.status == ExportJob.Status.EXPIRED or (
        export.expires_at and export.expires_at <= timezone.now()
    ):
        raise HttpError(410, "This export has expired")
    if export.status == ExportJob.Status.FAILED:
        raise HttpError(409, f"This export failed: {export.error}")
    if export.status != ExportJob.Status.COMPLETED or not export.file_name:
        raise HttpError(409, "This export is not ready yet")
    try:
        handle = default_storage.open(export.file_name, "rb")
    except FileNotFoundError:
        raise HttpError(410, "This export's file is gone") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export.download_name,
        content_type=CONTENT_TYPES[export.format],
    )
