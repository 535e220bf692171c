import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from telcost.addons.models import CustomerAddon
from telcost.jobs.models import Job
from tests.addons.test_addons_once import modify
from tests.conftest import wait_for


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_bursts_on_four_workers_call_nina_once_per_accepted_request_and_ten_a_minute(
    api_client, nina, reseller_world, start_worker
):
    """Rounds of 24 concurrent clicks (8 per addon type) while 4 workers run: identical clicks join,
    each accepted request is one activation at Nina, and the eleventh accepted within a minute is
    429."""
    _, customer, manager = reseller_world
    for name in "abcd":
        start_worker(name, NINA_API_URL=nina.base_url, NINA_API_KEY="test-nina-key")
    token_client = api_client(manager)

    def click(addon_type):
        try:
            client = api_client()
            client.token = token_client.token
            return modify(client, customer.pk, addon_type=addon_type)
        finally:
            connection.close()

    answers = []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            round_answers = list(pool.map(click, ["data_boost", "eu_roaming", "world_roaming"] * 8))
            answers += round_answers
            ids = {a.json()["job_id"] for a in round_answers if a.status_code == 202}
            wait_for(
                lambda ids=ids: not Job.objects.filter(pk__in=ids, status__in=Job.ACTIVE).exists(),
                timeout=60,
                message="the round's jobs",
            )
    assert time.monotonic() - started < 60
    assert {a.status_code for a in answers} == {202, 429}
    assert all(1 <= a.json()["retry_after"] <= 60 for a in answers if a.status_code == 429)
    accepted = {a.json()["job_id"] for a in answers if a.status_code == 202}
    assert len(accepted) == 10
    assert set(Job.objects.filter(pk__in=accepted).values_list("status", flat=True)) == {
        "completed"
    }
    assert nina.state.calls == 10
    assert sum(1 for e in nina.state.addons["RT42"] if e["status"] == "active") == 10
    assert CustomerAddon.objects.filter(status="active").count() == 10


@pytest.mark.django_db
def test_a_boost_activated_this_month_raises_the_allowance_of_the_next_recalculation(
    api_client, nina, reseller_world, drain_jobs, rated_customer
):
    from tests.factories import DeviceFactory
    from tests.usage.helpers import NO_BUNDLE, add_cdr, plan_with

    partner, _, manager = reseller_world
    customer = rated_customer(
        plan_with(bundle=NO_BUNDLE, monthly_fee="0", data={"increment_kb": 1}), partner=partner
    )
    month = timezone.localdate().replace(day=1)
    device = DeviceFactory(customer=customer)
    cdr = add_cdr(customer, device, record_type="data", volume_kb=2048)
    cdr.__class__.objects.filter(pk=cdr.pk).update(
        cycle_start=month, started_at=timezone.now() - dt.timedelta(minutes=1)
    )
    client = api_client(manager)
    client.post(f"/usage/recalculate_total_usage/{month}/{customer.pk}")
    drain_jobs()
    assert (
        client.get(f"/api/customers/{customer.pk}/totals?month={month:%Y-%m}").json()["total_cost"]
        == "0.0400"
    )
    client.post(
        f"/simaction/simcard/modify-addons/{customer.pk}",
        {"addonsAction": "activate", "addon_type": "data_boost"},
    )
    drain_jobs()
    client.post(f"/usage/recalculate_total_usage/{month}/{customer.pk}")
    drain_jobs()
    assert (
        client.get(f"/api/customers/{customer.pk}/totals?month={month:%Y-%m}").json()["total_cost"]
        == "0.0000"
    )
