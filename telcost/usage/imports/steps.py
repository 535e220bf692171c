"""Step handler of CDR imports (ImportCdrsCommand): thin, the import service does the work."""

from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _

from telcost.core.cdr_format import ImportRefused
from telcost.customers.models import Customer
from telcost.jobs.errors import PermanentError
from telcost.jobs.kinds import job_params
from telcost.jobs.registry import step
from telcost.usage.imports.pipeline import cdrs_import_csv
from telcost.usage.imports.services import CDR_IMPORT_KIND


@step("ImportCdrsCommand", label=_("Import CDRs"), max_attempts=3)
def import_cdrs(ctx) -> dict:
    params = job_params(ctx.job, CDR_IMPORT_KIND)
    customer = Customer.objects.get(pk=params.customer_id)
    path = params.file
    if not default_storage.exists(path):
        raise PermanentError("the uploaded file is gone")
    size = default_storage.size(path)
    with default_storage.open(path, "rb") as stream:
        try:
            # One transaction: a crash or a refusal half-way leaves nothing, a re-run starts afresh.
            result = cdrs_import_csv(
                customer=customer,
                stream=stream,
                progress=ctx.progress_in_transaction,
                own_devices_only=params.own_devices_only,
            )
        except ImportRefused as exc:
            raise PermanentError(str(exc)) from None
    # The file is removed when the job ends, whatever its outcome (services.cdr_upload_job_ended).
    return {**result.as_dict(), "file_bytes": size}
