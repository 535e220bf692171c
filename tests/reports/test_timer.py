"""The `reports.monthly` timer: each subscription's month is started once, on its day, however
many workers run it at once (a conditional UPDATE claims it, as scheduled syncs are)."""

import datetime as dt
import threading

import pytest
from django.db import connection

from telcost.jobs.models import Job
from telcost.reports import services
from telcost.reports.models import ReportSubscription
from telcost.reports.services import reports_run_due
from tests.reports.conftest import NOV_5, at
from tests.usage.cost_control.helpers import OCT

pytestmark = pytest.mark.django_db


def report_jobs() -> list[Job]:
    return list(Job.objects.filter(kind="monthly_report").order_by("pk"))


def test_before_the_day_nothing_on_the_day_one_job(datri, subscriber):
    subscription = subscriber(datri["customer"], "fin", day=5)
    assert reports_run_due(now=at(4, 23)) == 0
    assert report_jobs() == []
    assert reports_run_due(now=NOV_5) == 1
    (job,) = report_jobs()
    assert job.params == {"subscription_id": subscription.pk, "month": "2026-10"}
    assert job.dedupe_key == f"report:{subscription.pk}:2026-10"
    assert job.created_by == subscription.user and job.customer == datri["customer"]
    assert [s.name for s in job.steps.order_by("position")] == [
        "ProduceMonthlyReportExport",
        "SendMonthlyReportMail",
    ]
    subscription.refresh_from_db()
    assert (subscription.last_sent_cycle, subscription.last_job) == (OCT, job)


def test_the_day_is_local_time(datri, subscriber):
    subscriber(datri["customer"], "fin", day=5)
    # 4 November 23:30 UTC is already the 5th in Amsterdam.
    assert reports_run_due(now=dt.datetime(2026, 11, 4, 22, 59, tzinfo=dt.UTC)) == 0
    assert reports_run_due(now=dt.datetime(2026, 11, 4, 23, 30, tzinfo=dt.UTC)) == 1


def test_run_again_and_on_later_days_still_one_job(datri, subscriber):
    subscriber(datri["customer"], "fin", day=5)
    assert reports_run_due(now=NOV_5) == 1
    assert reports_run_due(now=NOV_5) == 0
    assert reports_run_due(now=at(20)) == 0
    assert len(report_jobs()) == 1


def test_a_later_day_already_passed_sends_at_once_and_a_changed_day_not_again(datri, subscriber):
    subscription = subscriber(datri["customer"], "fin", day=3)
    assert reports_run_due(now=NOV_5) == 1  # subscribed on the 5th for the 3rd: it is due
    ReportSubscription.objects.filter(pk=subscription.pk).update(day_of_month=10)
    assert reports_run_due(now=at(10)) == 0  # October was reported
    assert len(report_jobs()) == 1


def test_paused_inactive_user_or_no_right_start_nothing(datri, subscriber):
    paused = subscriber(datri["customer"], "paused")
    ReportSubscription.objects.filter(pk=paused.pk).update(active=False)
    gone = subscriber(datri["customer"], "gone")
    gone.user.is_active = False
    gone.user.save()
    revoked = subscriber(datri["customer"], "revoked")
    revoked.user.memberships.all().delete()
    assert reports_run_due(now=NOV_5) == 0
    assert report_jobs() == []
    assert set(ReportSubscription.objects.values_list("last_sent_cycle", flat=True)) == {None}


def test_a_month_not_calculated_waits_until_it_is(datri, subscriber, settings):
    from tests.factories import CustomerFactory

    waiting_for = CustomerFactory(name="Not yet BV")
    subscription = subscriber(waiting_for, "fin", day=5)
    assert reports_run_due(now=NOV_5) == 0
    assert reports_run_due(now=at(29)) == 0
    subscription.refresh_from_db()
    assert subscription.last_sent_cycle is None
    # The last day of the month: it goes out saying the month was not calculated.
    assert reports_run_due(now=at(30, 0)) == 1
    (job,) = report_jobs()
    assert job.customer == waiting_for


def test_a_month_calculated_after_the_day_is_reported_then(subscriber):
    from tests.usage.cost_control.helpers import calculate, october

    made = october("Late BV")
    subscriber(made["customer"], "fin", day=5)
    assert reports_run_due(now=NOV_5) == 0
    calculate(made["customer"])
    assert reports_run_due(now=at(7)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_start_one_job(datri, subscriber, monkeypatch):
    """Two timers on their own connections, both past their read of the due subscriptions
    before either claims: the conditional UPDATE lets one through."""
    subscriptions = [subscriber(datri["customer"], f"fin{i}", day=5) for i in range(3)]
    both_read = threading.Barrier(2, timeout=20)
    read = services.totals_exist

    def totals_exist_then_wait(**kwargs):
        answer = read(**kwargs)
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            pass
        return answer

    monkeypatch.setattr(services, "totals_exist", totals_exist_then_wait)
    started, errors = [], []

    def worker():
        try:
            started.append(reports_run_due(now=NOV_5))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(started) in ([0, 3], [1, 2]) and sum(started) == 3
    jobs = report_jobs()
    assert sorted(job.params["subscription_id"] for job in jobs) == sorted(
        s.pk for s in subscriptions
    )
