"""Step handler of the device import (ImportDevicesCommand): thin, customers.device_imports does
the work."""

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telcost.audit.services import audit_as
from telcost.customers.device_imports import DeviceImportRefused, devices_import_csv
from telcost.customers.models import Customer
from telcost.devices.services import DEVICE_IMPORT_KIND
from telcost.jobs.errors import PermanentError
from telcost.jobs.kinds import job_params
from telcost.jobs.registry import step


@step("ImportDevicesCommand", label=_("Import devices"), max_attempts=3)
def import_devices(ctx) -> dict:
    params = job_params(ctx.job, DEVICE_IMPORT_KIND)
    customer = Customer.objects.get(pk=params.customer_id)
    if not default_storage.exists(params.file):
        raise PermanentError("the uploaded file is gone")
    # The audit log names who uploaded the file as the author of each change.
    with default_storage.open(params.file, "rb") as stream, audit_as(ctx.job.created_by):
        try:
            # One transaction: a crash half-way leaves nothing; a second run finds its own work
            # done (every line unchanged).
            return devices_import_csv(
                customer=customer,
                stream=stream,
                today=timezone.localdate(),
                progress=ctx.progress_in_transaction,
            )
        except DeviceImportRefused as exc:
            raise PermanentError(str(exc)) from None
