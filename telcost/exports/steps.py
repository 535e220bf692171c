"""Step handlers of exports: generate the file, then mail its link (retried on its own)."""

from smtplib import SMTPException

from telcost.exports.models import ExportJob
from telcost.exports.services import export_generate, export_mail, export_mail_failed
from telcost.jobs.registry import step


def _export(ctx) -> ExportJob:
    return ExportJob.objects.select_related("customer", "requested_by").get(pk=ctx.params["export_id"])


@step("GenerateCustomerExcelReportCommand", max_attempts=3)
def generate_customer_excel_report(ctx) -> dict:
    export = _export(ctx)
    return {**export_generate(export=export), "export_id": export.pk}


@step("SendExportMailCommand", max_attempts=4, transient=(SMTPException, OSError), backoff_base_s=2.0)
def send_export_mail(ctx) -> dict:
    export = _export(ctx)
    try:
        export_mail(export=export)
    except (SMTPException, OSError) as exc:
        if ctx.attempt < ctx.step.max_attempts:
            raise
        # The file is there and downloadable: a mail that cannot go out is reported, not fatal.
        export_mail_failed(export=export, error=f"{type(exc).__name__}: {exc}")
        return {"mail": f"failed: {exc}"}
    return {"mail": "sent"}

