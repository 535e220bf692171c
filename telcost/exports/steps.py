"""Step handlers of exports: generate the file, then mail its link (retried on its own)."""

from smtplib import SMTPException

from django.utils.translation import gettext_lazy as _

from telcost.exports.models import ExportJob
from telcost.exports.services import EXPORT_KIND, export_generate, export_mail
from telcost.jobs.kinds import job_params
from telcost.jobs.registry import step


def _export(ctx) -> ExportJob:
    return ExportJob.objects.select_related("customer", "requested_by").get(
        pk=job_params(ctx.job, EXPORT_KIND).export_id
    )


@step("GenerateCustomerExcelReportCommand", label=_("Generate the file"), max_attempts=3)
def generate_customer_excel_report(ctx) -> dict:
    export = _export(ctx)
    result = export_generate(
        export=export, attempt_tag=f"s{ctx.step.pk}-a{ctx.attempt}", still_owner=ctx.owns_step
    )
    return {**result, "export_id": export.pk}


@step(
    "SendExportMailCommand",
    label=_("Mail the link"),
    max_attempts=3,
    transient=(SMTPException, OSError),
    backoff_base_s=2.0,
)
def send_export_mail(ctx) -> dict:
    # The file is there and downloadable: a mail that cannot go out after the step's attempts is
    # not fatal; the export shows it and the exports.mail_retry timer keeps trying for hours.
    outcome = export_mail(
        export=_export(ctx),
        still_owner=ctx.owns_step,
        final_try=ctx.attempt >= ctx.step.max_attempts,
    )
    return {"mail": outcome}
