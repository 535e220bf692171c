"""POST /api/customers/{id}/cdr-imports (the CDR CSV upload)."""

from ninja import File, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from telcost.accounts.access import SYNC, customer_for_user, imports_own_devices_only
from telcost.core.api_schemas import Out, answers
from telcost.core.cdr_format import ImportRefused
from telcost.idempotency.decorators import idempotent
from telcost.usage.imports.services import cdr_import_dispatch

router = Router(tags=["imports"])
# Each operation_id is the one the API published before this module moved into usage/api/ (issue
# 15):
# Ninja names an operation after its module.


class ImportAccepted(Out):
    job_id: int
    status_url: str


# 413: an upload over the size limit (issue 14.3).
@router.post(
    "/api/customers/{customer_id}/cdr-imports",
    response=answers({202: ImportAccepted}, 403, 404, 413),
    operation_id="telcost_usage_imports_api_cdr_import",
)
@idempotent
def cdr_import(request, customer_id: int, file: File[UploadedFile]):
    # Importing changes what a customer is billed: managers and staff only.
    customer = customer_for_user(user=request.user, customer_id=customer_id, right=SYNC)
    try:
        job = cdr_import_dispatch(
            customer=customer,
            upload=file,
            user=request.user,
            own_devices_only=imports_own_devices_only(request.user),
        ).job
    except ImportRefused as exc:
        raise HttpError(400, str(exc)) from None
    return Status(202, {"job_id": job.pk, "status_url": f"/api/jobs/{job.pk}"})
