"""POST /api/customers/{id}/cdr-imports (the CDR CSV upload)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import File, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from telcost.accounts.rules import SYNC, VIEW
from telcost.customers.models import Customer
from telcost.usage.import_services import cdr_import_dispatch
from telcost.usage.imports import ImportRefused

router = Router(tags=["imports"])


@router.post("/api/customers/{customer_id}/cdr-imports", response={202: dict})
def cdr_import(request, customer_id: int, file: File[UploadedFile] = None):
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or not request.user.has_perm(VIEW, customer):
        raise Http404("Customer not found")
    # Importing changes what a customer is billed: managers and staff only.
    if not request.user.has_perm(SYNC, customer):
        raise PermissionDenied("Unauthorized")
    if file is None:
        raise HttpError(400, "file: a CSV file is required (multipart field 'file')")
    try:
        job = cdr_import_dispatch(customer=customer, upload=file, user=request.user)
    except ImportRefused as exc:
        raise HttpError(400, str(exc)) from None
    return Status(202, {"job_id": job.pk, "status_url": f"/api/jobs/{job.pk}"})
