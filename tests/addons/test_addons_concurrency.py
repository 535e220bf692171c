import datetime as dt

import pytest
from django.utils import timezone

from telcost.addons.models import CustomerAddon
from telcost.addons.services import addon_change_dispatch
from telcost.jobs.models import Job
from tests.conftest import wait_for


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_requests_on_four_workers_make_at_most_ten_calls(nina, reseller_world, start_worker):
    _, customer, manager = reseller_world
    jobs = [addon_change_dispatch(customer=customer, user=manager, action="activate", addon_type="data_boost")
            for _ in range(20)]
    for name in "abcd":
        start_worker(name, NINA_API_URL=nina.base_url, NINA_API_KEY="test-nina-key")
    ids = [j.pk for j in jobs]
    wait_for(lambda: not Job.objects.filter(pk__in=ids, status__in=Job.ACTIVE).exists(), timeout=90, message="20 jobs")
    assert nina.state.calls == 10
    assert Job.objects.filter(pk__in=ids, status="completed").count() == 10
    failed = Job.objects.filter(pk__in=ids, status="failed")
    assert failed.count() == 10 and {j.error for j in failed} == {"ActivateRoutitAddonsCommand: Too many requests"}
    assert CustomerAddon.objects.filter(status="active").count() == 10
    times = sorted(nina.state.call_times)
    assert times[-1] - times[0] < 60


@pytest.mark.django_db
def test_a_boost_activated_this_month_raises_the_allowance_of_the_next_recalculation(
    api_client, nina, reseller_world, drain_jobs, rated_customer
):
    from tests.factories import DeviceFactory
    from tests.usage.helpers import NO_BUNDLE, add_cdr, plan_with

    partner, _, manager = reseller_world
    customer = rated_customer(plan_with(bundle=NO_BUNDLE, monthly_fee="0", data={"increment_kb": 1}), partner=partner)
    month = timezone.localdate().replace(day=1)
    device = DeviceFactory(customer=customer)
    cdr = add_cdr(customer, device, record_type="data", volume_kb=2048)
    cdr.__class__.objects.filter(pk=cdr.pk).update(cycle_start=month, started_at=timezone.now() - dt.timedelta(minutes=1))
    client = api_client(manager)
    client.post(f"/usage/recalculate_total_usage/{month}/{customer.pk}")
    drain_jobs()
    assert client.get(f"/api/customers/{customer.pk}/totals?month={month:%Y-%m}").json()["total_cost"] == "0.0400"
    client.post(f"/simaction/simcard/modify-addons/{customer.pk}", {"addonsAction": "activate", "addon_type": "data_boost"})
    drain_jobs()
    client.post(f"/usage/recalculate_total_usage/{month}/{customer.pk}")
    drain_jobs()
    assert client.get(f"/api/customers/{customer.pk}/totals?month={month:%Y-%m}").json()["total_cost"] == "0.0000"
