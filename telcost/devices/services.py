"""The bulk device import: store the upload, dispatch its job (the import itself is
customers.device_imports, run by the step)."""

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telcost.customers.device_imports import device_import_header_check
from telcost.customers.models import Customer
from telcost.jobs.files import job_file_delete, job_files_expire
from telcost.jobs.kinds import Dispatched, JobKind, register
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch

UPLOADS_FOLDER = "device-imports"
_HEADER_PROBE_BYTES = 64 * 1024


@dataclass(frozen=True)
class DeviceImportParams:
    customer_id: int
    file: str  # the path in the storage
    filename: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            customer_id=int(data["customer_id"]),
            file=data["file"],
            filename=data.get("filename", ""),
        )

    def to_json(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "file": self.file, "filename": self.filename}


@transaction.atomic
def device_import_dispatch(*, customer: Customer, upload: File, user) -> Dispatched:
    """Check the header at once (DeviceImportRefused: a 400, no job), store the file, dispatch."""
    upload.seek(0)
    device_import_header_check(upload.read(_HEADER_PROBE_BYTES))
    upload.seek(0)
    path = default_storage.save(f"{UPLOADS_FOLDER}/{customer.pk}-{uuid.uuid4().hex}.csv", upload)
    try:
        return job_dispatch(
            kind=DEVICE_IMPORT_KIND,
            customer=customer,
            created_by=user,
            params=DeviceImportParams(
                customer_id=customer.pk, file=path, filename=getattr(upload, "name", "") or ""
            ),
            steps=[StepSpec("ImportDevicesCommand")],
        )
    except Exception:
        default_storage.delete(path)
        raise


def device_import_ended(job: Job, params: DeviceImportParams) -> None:
    """The job ended (any outcome): its file goes. May run more than once: a file already gone is
    nothing to do."""
    job_file_delete(params.file)


def device_imports_sweep(*, now: dt.datetime | None = None) -> int:
    """Remove the stored imports nothing needs: a dispatch that rolled back after storing its
    file, or a file its job's end could not remove (the worker's timer)."""
    return job_files_expire(
        folder=UPLOADS_FOLDER, kind=DEVICE_IMPORT_KIND.name, now=now or timezone.now()
    )


DEVICE_IMPORT_KIND = register(
    JobKind(
        name="device_import",
        label=_("Device import"),
        params=DeviceImportParams,
        on_ended=device_import_ended,
    )
)
