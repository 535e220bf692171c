"""Accepting an uploaded CDR file: check what can be checked at once, store it, dispatch the import."""

import io
import uuid

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction

from telcost.customers.models import Customer
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.usage.imports import ImportRefused, csv_rows

_HEADER_PROBE_BYTES = 64 * 1024


def cdr_upload_check(*, upload: File) -> None:
    """Refuse at once what can never import (empty, not UTF-8, wrong header): a 400, no job."""
    upload.seek(0)
    head = upload.read(_HEADER_PROBE_BYTES)
    upload.seek(0)
    if not head.strip():
        raise ImportRefused("the file is empty")
    first_line = head.split(b"\n", 1)[0]
    try:
        next(csv_rows(io.BytesIO(first_line + b"\n")), None)
    except UnicodeDecodeError:
        raise ImportRefused("the file is not UTF-8 text") from None


@transaction.atomic
def cdr_import_dispatch(*, customer: Customer, upload: File, user) -> Job:
    cdr_upload_check(upload=upload)
    path = default_storage.save(f"imports/{customer.pk}-{uuid.uuid4().hex}.csv", upload)
    try:
        return job_dispatch(
            kind="cdr_import",
            customer=customer,
            created_by=user,
            params={"customer_id": customer.pk, "file": path, "filename": getattr(upload, "name", "")},
            steps=[StepSpec("ImportCdrsCommand")],
        )
    except Exception:
        default_storage.delete(path)
        raise
