"""Accepting an uploaded CDR file: check what can be checked at once, store it, dispatch the import.

The stored upload lives as long as its job (and settings.IMPORT_UPLOADS_KEEP_DAYS after, for
support): removed when the job ends, whatever the outcome, or by the worker's timer later.
"""

import datetime as dt
import io
import logging
import uuid

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.utils import timezone
from ninja.errors import HttpError

from telcost.accounts.rules import is_staff
from telcost.core.cdr_format import ImportRefused, csv_rows
from telcost.customers.models import Customer
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch

logger = logging.getLogger("telcost.usage")

_HEADER_PROBE_BYTES = 64 * 1024
UPLOADS_FOLDER = "imports"


class UploadTooLarge(HttpError):
    def __init__(self) -> None:
        super().__init__(413, f"the file is larger than {settings.UPLOAD_MAX_MB} MB")


class UploadSizeLimit(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: a body over settings.UPLOAD_MAX_MB is refused (413) before it is stored.

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


@transaction.atomic
def cdr_import_dispatch(*, customer: Customer, upload: File, user) -> Job:
    cdr_upload_check(upload=upload)
    path = default_storage.save(f"{UPLOADS_FOLDER}/{customer.pk}-{uuid.uuid4().hex}.csv", upload)
    try:
        return job_dispatch(
            kind="cdr_import",
            customer=customer,
            created_by=user,
            # A customer's own user may import only the customer's devices (SPEC part 2); staff add new ones.
            params={"customer_id": customer.pk, "file": path, "filename": getattr(upload, "name", ""),
                    "own_devices_only": not is_staff(user)},
            steps=[StepSpec("ImportCdrsCommand")],
        )
    except Exception:
        default_storage.delete(path)
        raise


def cdr_upload_job_ended(*, job: Job) -> None:
    """The job of an upload ended (any outcome): its file goes once the transaction that says so commits,
    unless uploads are kept for support; then cdr_uploads_expire removes it later."""
    path = (job.params or {}).get("file")
    if not path or settings.IMPORT_UPLOADS_KEEP_DAYS:
        return
    transaction.on_commit(lambda: _delete_upload(path))


def _delete_upload(path: str) -> None:
    try:
        default_storage.delete(path)  # nothing to do if it is gone already
    except OSError:
        logger.warning("could not remove the upload %s; the uploads timer tries again", path, exc_info=True)


def cdr_uploads_expire(*, now: dt.datetime | None = None) -> int:
    """Remove stored uploads whose job ended more than IMPORT_UPLOADS_KEEP_DAYS ago (the worker's timer),
    and any older than that without a job (a dispatch that rolled back after the file was stored)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.IMPORT_UPLOADS_KEEP_DAYS)
    try:
        _, names = default_storage.listdir(UPLOADS_FOLDER)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"{UPLOADS_FOLDER}/{name}"
        job = Job.objects.filter(kind="cdr_import", params__file=path).only("status", "finished_at").first()
        if job is None:
            # Stored before its job's transaction committed, or that transaction rolled back.
            expired = default_storage.get_modified_time(path) < min(cutoff, now - dt.timedelta(hours=1))
        else:
            expired = job.status not in Job.ACTIVE and job.finished_at is not None and job.finished_at <= cutoff
        if expired:
            _delete_upload(path)
            removed += 1
    return removed
