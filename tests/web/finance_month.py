"""A month as a Dutch finance team sees it: a partner, its customer with a September of
€ 7.482,3056, and something on every main page (versions, a sync, addons, cost centers,
a failed job).

finance_month(drain_jobs) builds it and returns a FinanceMonth; the users are staff "staff",
partner manager "reseller", manager "manager" and viewer "viewer" (password "secret-pass-1").
Used by the formats and language tests, with Django's client and in a browser.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from telcost.accounts.models import Membership
from telcost.addons.models import AddonLog, CustomerAddon
from telcost.customers.models import Customer
from telcost.jobs.models import Job
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.usage.billing.simulation import plan_simulation_dispatch
from telcost.usage.models import CycleTotals
from telcost.usage.recalculation.services import recalculation_dispatch
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    RatePlanFactory,
    UserFactory,
)
from tests.usage.helpers import SEPT, add_cdr

TOTAL = Decimal("7482.3056")
ROLES = ("staff", "reseller", "manager", "viewer")


@dataclass
class FinanceMonth:
    partner: Customer
    customer: Customer
    job: Job
    failed_job: Job
    profile: SyncProfile


def finance_month(drain_jobs) -> FinanceMonth:
    partner = CustomerFactory(name="Partner Telecom")
    customer = CustomerFactory(name="Acme BV", partner=partner)
    UserFactory(username="staff", is_staff=True)
    MembershipFactory(
        user=UserFactory(username="reseller"), customer=partner, role=Membership.Role.MANAGER
    )
    MembershipFactory(
        user=UserFactory(username="manager"), customer=customer, role=Membership.Role.MANAGER
    )
    MembershipFactory(
        user=UserFactory(username="viewer"), customer=customer, role=Membership.Role.VIEWER
    )

    phone = DeviceFactory(customer=customer, msisdn="31611111111", label="Anna")
    tablet = DeviceFactory(customer=customer, msisdn="31622222222", label="Bert")
    # 2000.3056 + 5000 + 482 = 7482.3056: a call of 58:58:37, 16,97 GB of data in the EU, texts.
    add_cdr(customer, phone, duration_s=212317, provider_cost="2000.3056")
    add_cdr(
        customer,
        tablet,
        record_type="data",
        zone="eu",
        volume_kb=17795794,
        provider_cost="5000.0000",
    )
    add_cdr(customer, phone, record_type="sms", provider_cost="482.0000")
    recalculation_dispatch(customer=customer, cycle_start=SEPT)
    drain_jobs()
    job = recalculation_dispatch(customer=customer, cycle_start=SEPT, reason="admin").job
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "completed", job.error
    assert CycleTotals.objects.get(customer=customer, cycle_start=SEPT).total_cost == TOTAL

    sales = CostCenterFactory(customer=customer, code="SALES", name="Verkoop")
    CostCenterAssignmentFactory(device=phone, cost_center=sales, valid_from=dt.date(2026, 1, 1))

    profile = SyncProfile.objects.create(
        customer=customer, name="Routit CDR's", provider="routit", schedule="0 3 * * *"
    )
    SyncTask.objects.create(
        profile=profile,
        cycle_start=SEPT,
        status=SyncTask.Status.COMPLETED,
        fetched=12345,
        imported=12000,
        duplicates=300,
        rejected=45,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )

    activated = timezone.now() - dt.timedelta(days=3)
    CustomerAddon.objects.create(
        customer=customer,
        addon_type="data_boost",
        status="active",
        data_mb=5120,
        activated_at=activated,
        provider_reference="NINA-1",
    )
    CustomerAddon.objects.create(
        customer=customer,
        addon_type="eu_roaming",
        status="cancelled",
        activated_at=activated,
        cancelled_at=timezone.now(),
        provider_reference="NINA-2",
    )
    AddonLog.objects.create(
        customer=customer, action="activate", addon_type="data_boost", outcome="success"
    )
    AddonLog.objects.create(
        customer=customer,
        action="cancel",
        addon_type="world_roaming",
        outcome="rate_limited",
        error="Too many requests",
    )

    failed = Job.objects.create(
        kind="recalculate_totals",
        customer=customer,
        status=Job.Status.FAILED,
        params={"customer_id": customer.pk, "cycle_start": "2026-08-01"},
        error="CalculateTotalsCommand: the totals of this month have not been calculated",
        finished_at=timezone.now(),
    )
    # What SPEC's plan would have cost in September (the simulation page shows it).
    RatePlanFactory()
    simulation = plan_simulation_dispatch(
        customer=customer, cycle_start=SEPT, rate_plans=["biz-2026"]
    ).job
    drain_jobs()
    simulation.refresh_from_db()
    assert simulation.status == "completed", simulation.error
    return FinanceMonth(
        partner=partner, customer=customer, job=job, failed_job=failed, profile=profile
    )


def main_pages(month: FinanceMonth) -> list[str]:
    """The main pages every role opens; a role refused one sees the 403 page, checked too."""
    c = month.customer.pk
    device = month.customer.devices.order_by("msisdn").first()
    return [
        "/overview/",
        f"/partners/{month.partner.pk}/overview/?month=2026-09",
        f"/customers/{c}/usage/?month=2026-09",
        f"/customers/{c}/devices/",
        f"/devices/{device.pk}/?month=2026-09",
        f"/customers/{c}/cost-centers/",
        f"/customers/{c}/chargeback/?month=2026-09",
        f"/customers/{c}/reconciliation/?month=2026-09",
        f"/customers/{c}/alerts/?month=2026-09",
        f"/customers/{c}/simulation/",
        f"/jobs/{month.job.pk}/",
        f"/jobs/{month.failed_job.pk}/",
        f"/customers/{c}/sync-profiles/",
        "/admin/cost-centers/",
        f"/admin/cost-centers/{c}/",
        "/admin/syncs/recalculate-totals/",
        f"/admin/sim-cards/simacties/?customer_id={c}",
        f"/customers/{c}/audit/",
        "/admin/rate-plans/",
        "/users/",
        "/account/",
        "/no-such-page/",
    ]
