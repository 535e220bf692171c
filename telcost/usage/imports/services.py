"""Accepting an uploaded CDR file: check what can be checked at once, store it, dispatch the import.

The stored upload lives as long as its job (and settings.IMPORT_UPLOADS_KEEP_DAYS after, for
support): removed when the job ends, whatever the outcome, or by the worker's timer later.
"""

import datetime as dt
import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.errors import HttpError

from telcost.core.cdr_format import ImportRefused, csv_rows
from telcost.customers.models import Customer
from telcost.jobs.files import job_file_delete, job_files_expire
from telcost.jobs.kinds import Dispatched, JobKind, register
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch

_HEADER_PROBE_BYTES = 64 * 1024
UPLOADS_FOLDER = "imports"


class UploadTooLarge(HttpError):
    def __init__(self) -> None:
        super().__init__(413, f"the file is larger than {settings.UPLOAD_MAX_MB} MB")


class UploadSizeLimit(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: a body over settings.UPLOAD_MAX_MB is refused (413) before it
    is stored.

    The declared Content-Length is checked before a byte is read; a body without one (chunked)
    is counted as it streams to the handlers that store it, and stopped at the limit.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None) -> None:
        if content_length > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise UploadTooLarge()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise UploadTooLarge()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file


def cdr_upload_check(*, upload: File) -> None:
    """Refuse at once what can never import (empty, not UTF-8, wrong header): a 400, no job."""
    upload.seek(0)
    head = upload.read(_HEADER_PROBE_BYTES)
    upload.seek(0)
    if not head.strip():
        raise ImportRefused("the file is empty")
    first_line = head.split(b"\n", 1)[0]
    next(csv_rows(io.BytesIO(first_line + b"\n")), None)  # ImportRefused: not UTF-8, not the header


@dataclass(frozen=True)
class CdrImportParams:
    """A cdr_import job's stored upload and whose devices it may touch."""

    customer_id: int
    file: str  # the path in the storage
    filename: str = ""  # as uploaded
    # A customer's own user may import only the customer's devices (SPEC part 2); staff add new
    # ones.
    own_devices_only: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            customer_id=int(data["customer_id"]),
            file=data["file"],
            filename=data.get("filename", ""),
            own_devices_only=bool(data.get("own_devices_only", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "file": self.file,
            "filename": self.filename,
            "own_devices_only": self.own_devices_only,
        }


@transaction.atomic
def cdr_import_dispatch(
    *, customer: Customer, upload: File, user, own_devices_only: bool
) -> Dispatched:
    """Store the upload and dispatch its import. `own_devices_only`: the caller's access decision
    (a customer's manager may not create devices or move them between customers; staff may)."""
    cdr_upload_check(upload=upload)
    path = default_storage.save(f"{UPLOADS_FOLDER}/{customer.pk}-{uuid.uuid4().hex}.csv", upload)
    try:
        return job_dispatch(
            kind=CDR_IMPORT_KIND,
            customer=customer,
            created_by=user,
            params=CdrImportParams(
                customer_id=customer.pk,
                file=path,
                filename=getattr(upload, "name", ""),
                own_devices_only=own_devices_only,
            ),
            steps=[StepSpec("ImportCdrsCommand")],
        )
    except Exception:
        default_storage.delete(path)
        raise


def cdr_upload_job_ended(job: Job, params: CdrImportParams) -> None:
    """The job of an upload ended (any outcome): its file goes, unless uploads are kept for
    support; then cdr_uploads_expire removes it later.

    The kind's reaction: it runs after the job's end committed, maybe more than once (a file
    already gone is nothing to do).
    """
    if not params.file or settings.IMPORT_UPLOADS_KEEP_DAYS:
        return
    job_file_delete(params.file)


CDR_IMPORT_KIND = register(
    JobKind(
        name="cdr_import",
        label=_("CDR import"),
        params=CdrImportParams,
        on_ended=cdr_upload_job_ended,
    )
)


def cdr_uploads_expire(*, now: dt.datetime | None = None) -> int:
    """Remove stored uploads whose job ended more than IMPORT_UPLOADS_KEEP_DAYS ago (the worker's
    timer), and any older than that without a job (a dispatch that rolled back after the file was
    stored)."""
    return job_files_expire(
        folder=UPLOADS_FOLDER,
        kind=CDR_IMPORT_KIND.name,
        now=now or timezone.now(),
        keep_after_end=dt.timedelta(days=settings.IMPORT_UPLOADS_KEEP_DAYS),
    )
