"""The usage app's step handlers, split by workflow; importing registers them.

The rate-plan simulation's one step is here: thin, billing/simulation.py does the work.
"""

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

from telcost.customers.models import Customer
from telcost.jobs.kinds import job_params
from telcost.jobs.registry import step
from telcost.usage.billing.simulation import PLAN_SIMULATION_KIND, STEP, plan_simulation_run
from telcost.usage.imports import steps as import_steps  # noqa: F401
from telcost.usage.recalculation import steps as recalculation_steps  # noqa: F401


# It only reads, so trouble with the database itself is worth a retry; a month that was never
# calculated is a PermanentError and fails at once.
@step(
    STEP,
    label=_("Simulate the rate plans"),
    max_attempts=3,
    transient=(OperationalError, InterfaceError),
)
def simulate_rate_plans(ctx) -> dict:
    params = job_params(ctx.job, PLAN_SIMULATION_KIND)
    customer = Customer.objects.select_related("rate_plan").get(pk=params.customer_id)
    return plan_simulation_run(
        customer=customer, cycle_start=params.cycle_start, codes=params.rate_plans
    )
