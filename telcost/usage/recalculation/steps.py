"""Step handlers of the totals recalculation chain (workflow 1): thin, the services do the work."""

import datetime as dt

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

from telcost.customers.models import Customer
from telcost.jobs.kinds import job_params
from telcost.jobs.registry import step
from telcost.usage.billing.alert_metrics import alerts_evaluate
from telcost.usage.billing.backups import totals_backup_create
from telcost.usage.billing.insights import insights_calculate
from telcost.usage.billing.rating import cdrs_rate
from telcost.usage.billing.totals import totals_calculate
from telcost.usage.recalculation.partner import PARTNER_RECALCULATION_KIND  # noqa: F401 - registers the kind
from telcost.usage.recalculation.status import RECALCULATE_TOTALS_KIND, customer_status_save

# Every step only reads and replaces its own rows, so trouble with the database itself (a lost
# connection, a deadlock or lock timeout on PostgreSQL, a locked SQLite) is worth a retry with
# backoff; a domain error (a rate plan without a zone) is a PermanentError and fails at once.
RETRY = {"max_attempts": 4, "transient": (OperationalError, InterfaceError), "backoff_base_s": 1.0}


def _target(ctx) -> tuple[Customer, dt.date]:
    params = job_params(ctx.job, RECALCULATE_TOTALS_KIND)
    customer = Customer.objects.select_related("rate_plan").get(pk=params.customer_id)
    return customer, params.cycle_start


def _version(ctx) -> int:
    # CalculateTotals put it in the job's result; this step's job is loaded fresh.
    ctx.job.refresh_from_db(fields=["result"])
    return int((ctx.job.result or {})["version"])


@step("CalculateTotalsRateplanCommand", label=_("Rate the usage"), **RETRY)
def calculate_totals_rateplan(ctx) -> dict:
    customer, cycle_start = _target(ctx)
    return cdrs_rate(customer=customer, cycle_start=cycle_start)


@step("CalculateTotalsCommand", label=_("Calculate totals"), **RETRY)
def calculate_totals(ctx) -> dict:
    customer, cycle_start = _target(ctx)
    # The job id as run key: a retry of this step keeps the version it already took.
    return totals_calculate(customer=customer, cycle_start=cycle_start, run_key=f"job:{ctx.job.pk}")


@step("BillingInsightTotalsCommand", label=_("Calculate insights"), **RETRY)
def billing_insight_totals(ctx) -> dict:
    customer, cycle_start = _target(ctx)
    result = insights_calculate(customer=customer, cycle_start=cycle_start)
    return {"anomalies": result["anomalies"], "idle_devices": result["idle_devices"]}


@step("SaveStatusCommand", label=_("Save the status"), **RETRY)
def save_status(ctx) -> dict:
    customer, _month = _target(ctx)
    customer_status_save(
        customer=customer,
        user=ctx.job.created_by,
        version=_version(ctx),
        outcome="ok",
        job_id=ctx.job.pk,
    )
    return {}


@step("DispatchTotalsBackupCommand", label=_("Back up the totals"), **RETRY)
def dispatch_totals_backup(ctx) -> dict:
    customer, cycle_start = _target(ctx)
    return totals_backup_create(
        customer=customer,
        cycle_start=cycle_start,
        version=_version(ctx),
        user=ctx.job.created_by,
        reason=job_params(ctx.job, RECALCULATE_TOTALS_KIND).reason,
    )


@step("EvaluateAlertsCommand", label=_("Evaluate the alerts"), **RETRY)
def evaluate_alerts(ctx) -> dict:
    # Last in the chain: the month's totals are written, so every rule sees the new figures; a
    # rule fires once per month and target however often this runs (alerts/services.py).
    customer, cycle_start = _target(ctx)
    return alerts_evaluate(customer=customer, cycle_start=cycle_start)
