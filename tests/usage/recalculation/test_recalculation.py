"""Workflow 1 end to end: the seed's endpoint, the chain, totals, insights, status, backups."""

import datetime as dt
from decimal import Decimal

import pytest

from telcost.customers.models import Customer
from telcost.jobs.models import Job
from telcost.usage.models import CDR, CycleTotals, TotalsBackup
from tests.factories import CustomerFactory, DeviceFactory, MembershipFactory, UserFactory
from tests.usage.helpers import NO_BUNDLE, SEPT, add_cdr, plan_with

pytestmark = pytest.mark.django_db

RATEPLAN_CHAIN = [
    "CalculateTotalsRateplanCommand",
    "CalculateTotalsCommand",
    "BillingInsightTotalsCommand",
    "SaveStatusCommand",
    "DispatchTotalsBackupCommand",
    "EvaluateAlertsCommand",
]


@pytest.fixture
def datri(rated_customer):
    customer = rated_customer(plan_with(bundle={**NO_BUNDLE, "voice_minutes": 1}), name="Datri")
    device = DeviceFactory(
        customer=customer, msisdn="31612345678", activated_on=dt.date(2026, 1, 1)
    )
    DeviceFactory(
        customer=customer, msisdn="31699999999", activated_on=dt.date(2026, 1, 1)
    )  # idle all month
    add_cdr(customer, device, duration_s=60)  # covered: 0.05
    add_cdr(customer, device, duration_s=90)  # 0.05 + 1.5 × 0.10 = 0.20
    add_cdr(customer, device, record_type="sms", zone="eu")  # 0.08
    add_cdr(
        customer, device, record_type="data", zone="international", volume_kb=1024
    )  # 1100 KB: 1100/1024 × 5.00 = 5.3711
    return customer


@pytest.fixture
def datri_manager(datri):
    user = UserFactory(username="datri-manager")
    MembershipFactory(user=user, customer=datri, role="manager")
    return user


def recalc(client, customer_id, date="2026-09-17"):
    return client.post(f"/usage/recalculate_total_usage/{date}/{customer_id}")


def test_click_runs_the_rateplan_chain_and_the_totals_appear(
    api_client, datri, datri_manager, drain_jobs
):
    client = api_client(datri_manager)
    response = recalc(client, datri.pk)
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job_id"])
    assert response.json()["status_url"] == f"/api/jobs/{job.pk}"
    assert [s.name for s in job.steps.order_by("position")] == RATEPLAN_CHAIN
    assert Customer.objects.get(pk=datri.pk).calculate_totals is True
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "completed", job.error
    totals = client.get(f"/api/customers/{datri.pk}/totals?month=2026-09").json()
    # usage 0.05 + 0.20 + 0.08 + 5.3711 = 5.7011; two active devices × 12.50 = 25.00
    assert totals["total_cost"] == "30.7011" and totals["subscription_cost"] == "25.0000"
    assert totals["version"] == 1 and totals["cycle_start"] == "2026-09-01"
    assert totals["by_type"] == {
        "voice": {"count": 2, "duration_s": 150, "cost": "0.2500"},
        "sms": {"count": 1, "cost": "0.0800"},
        "data": {"count": 1, "volume_kb": 1024, "cost": "5.3711"},
    }
    assert {
        "msisdn": "31612345678",
        "record_type": "data",
        "zone": "international",
        "count": 1,
        "duration_s": 0,
        "volume_kb": 1024,
        "cost": "5.3711",
    } in totals["devices"]
    # The usage page reads the same sums without every device's rows.
    from telcost.usage.selectors import totals_get

    summary = totals_get(customer=datri, cycle_start=SEPT, with_devices=False)
    # (the API writes calculated_at in its own format)
    skip = {"devices", "calculated_at"}
    assert {k: v for k, v in summary.items() if k not in skip} == {
        k: v for k, v in totals.items() if k not in skip
    }
    status = client.get(f"/api/customers/{datri.pk}").json()["status"]
    assert status["calculate_totals"] is False and status["totals_version"] == 1
    assert status["totals_calculated_by"] == "datri-manager" and status["totals_outcome"] == "ok"
    insights = client.get(f"/api/customers/{datri.pk}/insights?month=2026-09").json()
    assert (
        insights["idle_devices"]["count"] == 1
        and insights["idle_devices"]["fees_cost"] == "12.5000"
    )
    assert insights["idle_devices"]["devices"][0]["msisdn"] == "31699999999"
    assert insights["roaming_cost"] == "5.4511"
    assert insights["cost_by_type"] == {"voice": "0.2500", "sms": "0.0800", "data": "5.3711"}
    assert insights["top_devices"][0] == {"msisdn": "31612345678", "cost": "18.2011"}
    assert insights["out_of_bundle"]["count"] == 1 and insights["out_of_bundle"]["cost"] == "5.6011"
    [backup] = client.get(f"/api/customers/{datri.pk}/totals/versions?month=2026-09").json()
    assert (
        backup["version"] == 1
        and backup["created_by"] == "datri-manager"
        and backup["total_cost"] == "30.7011"
    )


def test_standard_customers_skip_rating_and_pay_provider_costs(api_client, staff_user, drain_jobs):
    customer = CustomerFactory(kind="standard")
    add_cdr(customer, duration_s=60, provider_cost="0.3333")
    cdr = add_cdr(customer, record_type="sms", provider_cost="0.0700")
    CDR.objects.filter(pk=cdr.pk).update(
        cost=Decimal("9")
    )  # stale: CalculateTotals puts the provider's back
    response = recalc(api_client(staff_user), customer.pk)
    job = Job.objects.get(pk=response.json()["job_id"])
    assert [s.name for s in job.steps.order_by("position")] == RATEPLAN_CHAIN[1:]
    drain_jobs()
    totals = api_client(staff_user).get(f"/api/customers/{customer.pk}/totals?month=2026-09").json()
    assert totals["total_cost"] == "0.4033" and totals["subscription_cost"] == "0.0000"
    assert CDR.objects.get(pk=cdr.pk).cost == Decimal(
        "0.0700"
    )  # the stored cost is the provider's again


def test_a_second_click_while_it_runs_returns_the_same_job(api_client, datri, datri_manager):
    first = recalc(api_client(datri_manager), datri.pk, "2026-09-01").json()
    second = recalc(api_client(datri_manager), datri.pk, "2026-09-30").json()
    assert second["job_id"] == first["job_id"] and second["joined"] is True
    assert Job.objects.count() == 1


def test_each_recalculation_is_a_new_version_and_versions_can_be_compared(
    api_client, datri, datri_manager, drain_jobs
):
    client = api_client(datri_manager)
    recalc(client, datri.pk)
    drain_jobs()
    device = datri.devices.get(msisdn="31612345678")
    add_cdr(datri, device, duration_s=120)  # bundle already used: 0.05 + 0.20
    recalc(client, datri.pk)
    drain_jobs()
    versions = client.get(f"/api/customers/{datri.pk}/totals/versions?month=2026-09").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert [v["total_cost"] for v in versions] == ["30.9511", "30.7011"]
    diff = client.get(f"/api/customers/{datri.pk}/totals/diff?month=2026-09&a=1&b=2").json()
    assert diff["changes"] == [
        {
            "msisdn": "31612345678",
            "record_type": "voice",
            "count_a": 2,
            "count_b": 3,
            "cost_a": "0.2500",
            "cost_b": "0.5000",
            "cost_delta": "0.2500",
        }
    ]
    assert (
        client.get(f"/api/customers/{datri.pk}/totals/diff?month=2026-09&a=1&b=7").status_code
        == 404
    )


def test_backups_are_immutable(api_client, datri, datri_manager, drain_jobs):
    from telcost.usage.models import ImmutableError

    recalc(api_client(datri_manager), datri.pk)
    drain_jobs()
    backup = TotalsBackup.objects.get()
    backup.total_cost = Decimal("0")
    with pytest.raises(ImmutableError):
        backup.save()


def test_a_retried_calculate_totals_keeps_its_version(datri):
    from telcost.usage.billing.totals import totals_calculate

    first = totals_calculate(customer=datri, cycle_start=SEPT, run_key="job:1")
    again = totals_calculate(customer=datri, cycle_start=SEPT, run_key="job:1")
    other = totals_calculate(customer=datri, cycle_start=SEPT, run_key="job:2")
    assert (first["version"], again["version"], other["version"]) == (1, 1, 2)


def test_an_empty_month_gives_zero_totals_and_idle_devices(
    api_client, staff_user, rated_customer, drain_jobs
):
    customer = rated_customer(plan_with())
    DeviceFactory(customer=customer, activated_on=dt.date(2026, 1, 1))
    DeviceFactory(
        customer=customer, activated_on=dt.date(2026, 10, 5)
    )  # not yet active in September
    DeviceFactory(
        customer=customer, activated_on=dt.date(2026, 1, 1), deactivated_on=dt.date(2026, 8, 31)
    )
    DeviceFactory(
        customer=customer, activated_on=dt.date(2026, 1, 1), deactivated_on=dt.date(2026, 9, 1)
    )
    job = Job.objects.get(pk=recalc(api_client(staff_user), customer.pk).json()["job_id"])
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "completed"
    client = api_client(staff_user)
    totals = client.get(f"/api/customers/{customer.pk}/totals?month=2026-09").json()
    assert totals["subscription_cost"] == "25.0000" and totals["devices"] == []
    assert totals["by_type"]["voice"] == {"count": 0, "duration_s": 0, "cost": "0.0000"}
    assert (
        client.get(f"/api/customers/{customer.pk}/insights?month=2026-09").json()["idle_devices"][
            "count"
        ]
        == 2
    )


def test_a_missing_zone_fails_the_job_naming_it_and_keeps_the_old_totals(
    api_client, staff_user, datri, drain_jobs
):
    client = api_client(staff_user)
    recalc(client, datri.pk)
    drain_jobs()
    plan = datri.rate_plan.versions.get()  # the plan's one version
    del plan.definition["data"]["per_mb"]["international"]
    plan.save()
    job = Job.objects.get(pk=recalc(client, datri.pk).json()["job_id"])
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "failed"
    assert (
        "CalculateTotalsRateplanCommand" in job.error
        and "data in zone 'international'" in job.error
    )
    assert (
        client.get(f"/api/customers/{datri.pk}/totals?month=2026-09").json()["total_cost"]
        == "30.7011"
    )
    assert CycleTotals.objects.get(customer=datri).version == 1


def test_anomalies_compare_a_device_with_its_last_three_months(rated_customer, drain_jobs):
    from telcost.usage.recalculation.services import recalculation_dispatch
    from telcost.usage.selectors import insights_get

    customer = rated_customer(plan_with(bundle=NO_BUNDLE, monthly_fee="0"))
    steady = DeviceFactory(customer=customer, msisdn="31600000001")
    spiking = DeviceFactory(customer=customer, msisdn="31600000002")
    for month in (6, 7, 8, 9):
        for device, minutes in ((steady, 60), (spiking, 60 if month < 9 else 200)):
            cdr = add_cdr(customer, device, zone="international", duration_s=minutes * 60)
            CDR.objects.filter(pk=cdr.pk).update(
                cycle_start=dt.date(2026, month, 1),
                started_at=dt.datetime(2026, month, 10, tzinfo=dt.UTC),
            )
        recalculation_dispatch(customer=customer, cycle_start=dt.date(2026, month, 1))
        drain_jobs()
    insights = insights_get(customer=customer, cycle_start=SEPT)
    # 200 min × 0.80 + 0.05 = 160.05 > 2 × 48.05 and > 10; the steady device is not an anomaly.
    assert insights["anomalies"] == [
        {"msisdn": "31600000002", "cost": "160.0500", "average_previous": "48.0500"}
    ]
    assert insights["change"]["absolute"] == "112.0000"


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        (
            "post",
            "/usage/recalculate_total_usage/2026-09-01/987654",
            404,
            "Invalid customer provided",
        ),
        ("post", "/usage/recalculate_total_usage/2026-09-01/abc", 404, "Invalid customer provided"),
        ("post", "/usage/recalculate_total_usage/2026-13-01/{id}", 400, None),
        ("post", "/usage/recalculate_total_usage/yesterday/{id}", 400, None),
        ("get", "/usage/recalculate_total_usage/2026-09-01/{id}", 405, "Method not allowed"),
    ],
)
def test_bad_recalculation_requests_queue_nothing(
    api_client, staff_user, datri, method, path, status, error
):
    response = getattr(api_client(staff_user), method)(path.format(id=datri.pk))
    assert response.status_code == status
    if error:
        assert response.json() == {"error": error}
    assert not Job.objects.exists()


def test_viewers_and_outsiders_cannot_recalculate(api_client, datri, outsider):
    viewer = UserFactory()
    MembershipFactory(user=viewer, customer=datri, role="viewer")
    assert recalc(api_client(viewer), datri.pk).status_code == 403
    # Not theirs to see: as if it did not exist.
    assert recalc(api_client(outsider), datri.pk).status_code == 404
    assert recalc(api_client(), datri.pk).status_code == 401
    assert not Job.objects.exists() and not Customer.objects.get(pk=datri.pk).calculate_totals


def test_totals_reads_check_month_and_existence(api_client, datri, datri_manager, outsider):
    client = api_client(datri_manager)
    assert client.get(f"/api/customers/{datri.pk}/totals?month=2026-09").status_code == 404
    assert client.get(f"/api/customers/{datri.pk}/totals?month=sept").status_code == 400
    assert client.get(f"/api/customers/{datri.pk}/totals").status_code == 400
    outsiders = api_client(outsider).get(f"/api/customers/{datri.pk}/totals?month=2026-09")
    assert outsiders.status_code == 404


def test_every_step_run_twice_leaves_the_same_result(datri, drain_jobs):
    """What a worker killed mid-chain amounts to: some steps run again. The totals must not move."""
    from telcost.jobs.registry import get_step
    from telcost.jobs.runner import StepContext
    from telcost.usage.recalculation.services import recalculation_dispatch
    from telcost.usage.selectors import insights_get, totals_get, totals_versions_list

    job = recalculation_dispatch(customer=datri, cycle_start=SEPT).job
    drain_jobs()
    before = (
        totals_get(customer=datri, cycle_start=SEPT),
        insights_get(customer=datri, cycle_start=SEPT),
    )
    job.refresh_from_db()
    for step in job.steps.order_by("position"):
        get_step(step.name).handler(StepContext(job=job, step=step, attempt=2))
    after = (
        totals_get(customer=datri, cycle_start=SEPT),
        insights_get(customer=datri, cycle_start=SEPT),
    )
    for answer in (before, after):
        answer[0].pop("calculated_at")
        answer[1].pop("calculated_at")
    assert after == before
    assert [v["version"] for v in totals_versions_list(customer=datri, cycle_start=SEPT)] == [1]


def test_a_failed_recalculation_says_so_in_the_customers_status(
    api_client, staff_user, datri, drain_jobs
):
    """calculate_totals must not stay raised ("recalculation pending") for a chain that has
    ended."""
    client = api_client(staff_user)
    recalc(client, datri.pk)
    drain_jobs()
    plan = datri.rate_plan.versions.get()  # the plan's one version
    del plan.definition["voice"]["per_minute"]["national"]
    plan.save()
    recalc(client, datri.pk)
    recalc(client, datri.pk, "2026-10-01")  # another month of this customer, still queued
    drain_jobs(max_tasks=1)  # September's first step fails; October's has not run
    status = client.get(f"/api/customers/{datri.pk}").json()["status"]
    assert status["totals_outcome"].startswith("failed: CalculateTotalsRateplanCommand")
    assert "voice in zone 'national'" in status["totals_outcome"]
    assert status["totals_version"] == 1  # the totals in place are still version 1
    assert status["calculate_totals"] is True  # October is still to come
    drain_jobs()
    status = client.get(f"/api/customers/{datri.pk}").json()["status"]
    assert status["calculate_totals"] is False


def test_a_cancelled_recalculation_lowers_the_flag(
    api_client, staff_user, datri, django_capture_on_commit_callbacks
):
    from telcost.jobs.services import job_cancel

    job = Job.objects.get(pk=recalc(api_client(staff_user), datri.pk).json()["job_id"])
    with django_capture_on_commit_callbacks(execute=True):  # the reaction runs after commit
        job_cancel(job=job)
    datri.refresh_from_db()
    assert datri.calculate_totals is False and datri.totals_outcome == "cancelled"


def test_database_trouble_is_retried_and_domain_errors_are_not():
    from django.db import InterfaceError, OperationalError

    from telcost.jobs.errors import PermanentError
    from telcost.jobs.registry import get_step

    for name in RATEPLAN_CHAIN:
        definition = get_step(name)
        assert definition.max_attempts > 1
        assert definition.is_transient(OperationalError("deadlock detected"))
        assert definition.is_transient(InterfaceError("connection already closed"))
        assert not definition.is_transient(PermanentError("no price for voice in zone 'eu'"))
        assert not definition.is_transient(KeyError("version"))


def test_after_new_cdrs_only_a_chain_that_has_not_read_the_month_yet_is_joined(datri):
    from telcost.jobs.models import Step
    from telcost.usage.recalculation.services import recalculation_dispatch

    waiting = recalculation_dispatch(customer=datri, cycle_start=SEPT).job
    assert recalculation_dispatch(customer=datri, cycle_start=SEPT, new_cdrs=True).pk == waiting.pk
    Step.objects.filter(job=waiting, position=0).update(status=Step.Status.RUNNING)
    # A click joins it whatever its progress; new CDRs get a chain of their own, which clicks do not
    # join.
    assert recalculation_dispatch(customer=datri, cycle_start=SEPT).pk == waiting.pk
    follow_up = recalculation_dispatch(customer=datri, cycle_start=SEPT, new_cdrs=True)
    assert follow_up.pk != waiting.pk and not follow_up.joined
    follow_up = follow_up.job
    assert (follow_up.dedupe_key, follow_up.lock_key) == (
        f"{waiting.dedupe_key}:follow-up",
        waiting.lock_key,
    )
    assert recalculation_dispatch(customer=datri, cycle_start=SEPT).pk == waiting.pk
    # The next import's CDRs are read by the follow-up too, while it has not started.
    assert (
        recalculation_dispatch(customer=datri, cycle_start=SEPT, new_cdrs=True).pk == follow_up.pk
    )
    Step.objects.filter(job=follow_up, position=0).update(status=Step.Status.RUNNING)
    last = recalculation_dispatch(customer=datri, cycle_start=SEPT, new_cdrs=True).job
    assert last.pk not in (waiting.pk, follow_up.pk) and (last.dedupe_key, last.lock_key) == (
        None,
        waiting.lock_key,
    )


def test_the_flag_stays_raised_until_the_customers_last_recalculation_ends(
    api_client, staff_user, datri, drain_jobs
):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from telcost.jobs.models import Step

    client = api_client(staff_user)
    september = recalc(client, datri.pk).json()["job_id"]
    october = recalc(client, datri.pk, "2026-10-01").json()["job_id"]
    october_first = Step.objects.get(job_id=october, position=0)
    DBTaskResult.objects.filter(pk=october_first.task_id).update(
        run_after=timezone.now() + dt.timedelta(days=1)
    )
    drain_jobs()
    assert (
        Job.objects.get(pk=september).status == "completed"
        and Job.objects.get(pk=october).status == "pending"
    )
    status = client.get(f"/api/customers/{datri.pk}").json()["status"]
    assert status["totals_version"] == 1 and status["totals_outcome"] == "ok"
    assert status["calculate_totals"] is True  # October is still to come
    DBTaskResult.objects.filter(pk=october_first.task_id).update(run_after=timezone.now())
    drain_jobs()
    assert Job.objects.get(pk=october).status == "completed"
    assert client.get(f"/api/customers/{datri.pk}").json()["status"]["calculate_totals"] is False
