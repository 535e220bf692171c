"""Step handler of CDR imports (ImportCdrsCommand): thin, the import service does the work."""

from django.core.files.storage import default_storage

from telcost.customers.models import Customer
from telcost.jobs.errors import PermanentError
from telcost.jobs.registry import step
from telcost.usage.imports import ImportRefused, cdrs_import_csv


@step("ImportCdrsCommand", max_attempts=3)
def import_cdrs(ctx) -> dict:
    params = ctx.params
    customer = Customer.objects.get(pk=params["customer_id"])
    path = params["file"]
    if not default_storage.exists(path):
        raise PermanentError("the uploaded file is gone")
    size = default_storage.size(path)
    with default_storage.open(path, "rb") as stream:
        try:
            # A re-run after a crash imports nothing twice: duplicates are skipped by external_id.
            result = cdrs_import_csv(
                customer=customer, stream=stream, progress=lambda rows: ctx.progress(rows, None)
            )
        except ImportRefused as exc:
            raise PermanentError(str(exc)) from None
    default_storage.delete(path)
    return {**result.as_dict(), "file_bytes": size}
