"""Steps of the monthly report: the chargeback export, then the mail (once, via the outbox)."""

from django.utils.translation import gettext_lazy as _

from telcost.jobs.kinds import job_params
from telcost.jobs.registry import step
from telcost.reports.services import (
    REPORT_KIND,
    report_export_produce,
    report_mail_queue,
    report_subject,
)


@step("ProduceMonthlyReportExport", label=_("Make the chargeback export"), max_attempts=3)
def produce_monthly_report_export(ctx) -> dict:
    params = job_params(ctx.job, REPORT_KIND)
    subscription = report_subject(params)
    if subscription is None:
        return {"export_id": None, "skipped": "the subscriber may not receive this report"}
    export = report_export_produce(
        job=ctx.job,
        subscription=subscription,
        cycle=params.cycle,
        attempt_tag=f"s{ctx.step.pk}-a{ctx.attempt}",
        still_owner=ctx.owns_step,
    )
    return {"export_id": export.pk if export else None}


@step("SendMonthlyReportMail", label=_("Mail the report"), max_attempts=3)
def send_monthly_report_mail(ctx) -> dict:
    params = job_params(ctx.job, REPORT_KIND)
    subscription = report_subject(params)
    if subscription is None:
        return {"mail": None, "skipped": "the subscriber may not receive this report"}
    mail = report_mail_queue(
        job=ctx.job, subscription=subscription, cycle=params.cycle, still_owner=ctx.owns_step
    )
    return {"mail": mail.key}
