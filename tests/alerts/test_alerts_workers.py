"""EvaluateAlertsCommand with real `telcost worker` processes: a sync and a partner range end with
it, each alert fires once and its mail goes out once through a real SMTP server, also when the
range runs again."""

import datetime as dt

import pytest

from telcost.alerts.models import Alert
from telcost.jobs.models import Job
from telcost.outbox.models import OutgoingMail
from telcost.syncs.models import SyncTask
from telcost.syncs.services import sync_manual_dispatch
from telcost.usage.models import CDR
from tests.alerts.helpers import rule
from tests.conftest import wait_for
from tests.factories import CustomerFactory, DeviceFactory
from tests.usage.helpers import add_cdr

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SEPT, AUG = dt.date(2026, 9, 1), dt.date(2026, 8, 1)


def mail_env(smtp) -> dict:
    return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": smtp.port}


def test_a_sync_ends_with_the_alerts_and_their_mail(
    api_profile, manager, provider_sim, smtp, start_worker
):
    customer = api_profile.customer
    rule(customer, name="Any cost", threshold="0", recipients=["finance@example.com"])
    provider_sim.control(records=40, page_size=20)
    task = sync_manual_dispatch(profile=api_profile, cycle_start=SEPT, user=manager)
    start_worker("sync", **mail_env(smtp))
    # The mail goes out when the step's transaction commits, just before the step is recorded.
    wait_for(
        lambda: (
            OutgoingMail.objects.filter(state="sent").exists()
            and Job.objects.filter(kind="recalculate_totals", status="completed").exists()
        ),
        timeout=90,
        message="the alert's mail and the end of the chain",
    )
    task.refresh_from_db()
    assert task.status == "completed", task.error
    alert = Alert.objects.get()
    assert (alert.customer_id, alert.cycle_start, alert.target) == (customer.pk, SEPT, "")
    assert alert.value > 0
    chain = Job.objects.get(kind="recalculate_totals", customer=customer)
    assert [s.name for s in chain.steps.order_by("position")][-1] == "EvaluateAlertsCommand"
    assert chain.steps.get(name="EvaluateAlertsCommand").status == "succeeded"
    assert [m.rcpt_tos for m in smtp.messages] == [["finance@example.com"]]
    assert SyncTask.objects.get(pk=task.pk).imported == 40


def test_a_partner_range_fires_each_customer_month_once_however_often_it_runs(
    api_client, smtp, start_worker, subprocess_env
):
    from tests.factories import UserFactory

    staff = UserFactory(username="staff-range", is_staff=True)
    partner = CustomerFactory(name="Partner")
    kids = [CustomerFactory(name=f"Kid {n}", partner=partner) for n in (1, 2)]
    for kid in kids:
        device = DeviceFactory(customer=kid)
        for month in (AUG, SEPT):
            made = add_cdr(
                kid,
                device,
                at=dt.datetime(month.year, month.month, 10, 9, tzinfo=dt.UTC),
                provider_cost="5.0000",
            )
            CDR.objects.filter(pk=made.pk).update(cycle_start=month)
        rule(kid, name=f"{kid.name} budget", threshold="4", recipients=[f"kid{kid.pk}@example.com"])
        rule(kid, name=f"{kid.name} roaming", metric="roaming_cost", threshold="0")
    client = api_client(staff)

    def run_range() -> Job:
        answer = client.post(
            f"/api/partners/{partner.pk}/recalculate",
            {"start_date": "2026-08-01", "end_date": "2026-09-30"},
        )
        assert answer.status_code == 202, answer.json()
        parent = Job.objects.get(pk=answer.json()["job_id"])
        wait_for(
            lambda: Job.objects.get(pk=parent.pk).status in ("completed", "failed"),
            timeout=120,
            message="the partner range",
        )
        parent.refresh_from_db()
        assert parent.status == "completed", parent.error
        return parent

    start_worker("a", **mail_env(smtp))
    start_worker("b", **mail_env(smtp))
    parent = run_range()
    assert parent.children.count() == 4
    for child in parent.children.all():
        assert [s.name for s in child.steps.order_by("position")][-1] == "EvaluateAlertsCommand"
    expected = {(kid.name + " budget", month) for kid in kids for month in (AUG, SEPT)}
    assert {(a.rule.name, a.cycle_start) for a in Alert.objects.select_related("rule")} == expected
    wait_for(lambda: len(smtp.messages) >= 4, timeout=30, message="four mails")
    run_range()
    assert Alert.objects.count() == 4
    assert OutgoingMail.objects.count() == 4
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(
        f"kid{kid.pk}@example.com" for kid in kids for _ in (AUG, SEPT)
    )
