"""EvaluateAlertsCommand at the end of the recalculation chain: which rules fire on the
hand-computed October (helpers.py), once per rule, month and target however often the month is
recalculated, each with one mail through a real SMTP server, in the rule's language."""

from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.utils import timezone

from telcost.alerts.models import Alert
from telcost.jobs.models import Job
from telcost.outbox.models import OutgoingMail
from telcost.usage.models import CDR
from telcost.usage.recalculation.services import recalculation_dispatch
from tests.alerts.helpers import rule
from tests.usage.cost_control.helpers import OCT, local, october

pytestmark = pytest.mark.django_db


def recalculate(customer, drain_jobs) -> Job:
    job = recalculation_dispatch(customer=customer, cycle_start=OCT).job
    drain_jobs()
    job.refresh_from_db()
    assert job.status == "completed", job.error
    return job


def fired(customer) -> set[tuple[str, str, str, str]]:
    return {
        (a.rule.name, a.target, f"{a.value}", f"{a.threshold}")
        for a in Alert.objects.filter(customer=customer, cycle_start=OCT).select_related("rule")
    }


def mails(smtp) -> list:
    return [message_from_bytes(m.content, policy=default_policy) for m in smtp.messages]


@pytest.fixture
def month():
    return october()


@pytest.fixture
def rules(month):
    customer = month["customer"]
    made = {
        "total": rule(customer, name="Total", threshold="60"),
        "roaming": rule(customer, name="Roaming", metric="roaming_cost", threshold="0.33"),
        "ops": rule(customer, name="OPS budget", scope="cost_center", target="OPS", threshold="25"),
        "oob": rule(
            customer,
            name="Out of bundle per cost center",
            metric="out_of_bundle_cost",
            scope="cost_center",
            threshold="0.30",
        ),
        "devices": rule(customer, name="Expensive device", scope="device", threshold="12.60"),
        "data": rule(
            customer,
            name="Anna's data",
            metric="data_mb",
            scope="device",
            target="31600000001",
            threshold="2.5",
        ),
        "inactive": rule(customer, name="Switched off", threshold="0", active=False),
        "deleted": rule(customer, name="Deleted", threshold="0", deleted_at=timezone.now()),
    }
    return made


EXPECTED = {
    ("Total", "", "63.4800", "60.0000"),
    ("OPS budget", "OPS", "25.3300", "25.0000"),
    ("Out of bundle per cost center", "OPS", "0.3300", "0.3000"),
    ("Expensive device", "31600000001", "13.0000", "12.6000"),
    ("Expensive device", "31600000004", "12.6500", "12.6000"),
    ("Expensive device", "31600000005", "12.7500", "12.6000"),
    ("Anna's data", "31600000001", "3.0000", "2.5000"),
}


def test_each_rule_over_its_threshold_fires_for_each_target(month, rules, smtp, drain_jobs):
    job = recalculate(month["customer"], drain_jobs)
    # Roaming 0.33 is not over 0.33; SALES's 0.25 out of bundle not over 0.30; B (12.58) and C
    # (12.50) not over 12.60; inactive and deleted rules are not evaluated.
    assert fired(month["customer"]) == EXPECTED
    assert job.steps.order_by("-position").first().name == "EvaluateAlertsCommand"
    assert job.result["alerts_fired"] == 7
    assert len(smtp.messages) == 7
    assert OutgoingMail.objects.filter(state="sent").count() == 7


def test_the_chain_run_again_fires_and_mails_nothing_new(month, rules, smtp, drain_jobs):
    recalculate(month["customer"], drain_jobs)
    first = {a.pk: a.fired_at for a in Alert.objects.all()}
    again = recalculate(month["customer"], drain_jobs)
    recalculate(month["customer"], drain_jobs)
    assert again.result["alerts_fired"] == 0
    assert {a.pk: a.fired_at for a in Alert.objects.all()} == first
    assert len(smtp.messages) == 7 and OutgoingMail.objects.count() == 7


def test_a_value_that_falls_below_keeps_its_alert_and_rising_again_does_not_fire(
    month, smtp, drain_jobs
):
    customer = month["customer"]
    roaming = rule(
        customer,
        name="Eva roams",
        metric="roaming_cost",
        scope="device",
        target="31600000005",
        threshold="0.20",
    )
    recalculate(customer, drain_jobs)
    assert fired(customer) == {("Eva roams", "31600000005", "0.2500", "0.2000")}
    eva_sms = CDR.objects.get(device=month["devices"]["E"])
    eva_sms.delete()
    recalculate(customer, drain_jobs)
    assert fired(customer) == {("Eva roams", "31600000005", "0.2500", "0.2000")}  # it did fire
    eva_sms.pk = None
    eva_sms.save()
    roaming.threshold = "0.10"
    roaming.save()
    recalculate(customer, drain_jobs)
    assert fired(customer) == {("Eva roams", "31600000005", "0.2500", "0.2000")}
    assert len(smtp.messages) == 1


def test_the_mail_says_what_fired_in_the_rules_language(month, smtp, drain_jobs):
    customer = month["customer"]
    rule(
        customer,
        name="OPS budget",
        scope="cost_center",
        target="OPS",
        threshold="25",
        recipients=["ops@example.com", "boss@example.com"],
        language="nl",
    )
    rule(
        customer,
        name="Data Anna",
        metric="data_mb",
        scope="device",
        target="31600000001",
        threshold="2.5",
        recipients=["anna@example.com"],
        language="en",
    )
    recalculate(customer, drain_jobs)
    by_subject = {m["Subject"]: m for m in mails(smtp)}
    assert set(by_subject) == {"telcost alert: OPS budget", "telcost alert: Data Anna"}
    dutch = by_subject["telcost alert: OPS budget"]
    assert dutch["To"] == "ops@example.com, boss@example.com"
    body = dutch.get_content()
    for line in (
        "Klant: Datri",
        "Maand: oktober 2026",
        "Doel: kostenplaats OPS (Operations)",
        "Meetwaarde: Totale kosten",
        "Waarde: € 25,33",
        "Drempel: € 25,00",
        f"/customers/{customer.pk}/alerts/?month=2026-10",
    ):
        assert line in body, (line, body)
    english = by_subject["telcost alert: Data Anna"].get_content()
    for line in (
        "Customer: Datri",
        "Month: October 2026",
        "Target: device 31600000001 (Anna)",
        "Metric: Data volume",
        "Value: 3.00 MB",
        "Threshold: 2.50 MB",
    ):
        assert line in english, (line, english)


def test_a_month_with_devices_and_no_cdrs_fires_on_its_fees_only(rated_customer, smtp, drain_jobs):
    from tests.factories import DeviceFactory

    customer = rated_customer(name="Quiet")
    for msisdn in ("31611111111", "31622222222"):
        DeviceFactory(customer=customer, msisdn=msisdn, activated_on=OCT.replace(month=1))
    rule(customer, name="Fees", threshold="20")
    rule(customer, name="Any roaming", metric="roaming_cost", threshold="0")
    rule(customer, name="Any data", metric="data_mb", scope="device", threshold="0")
    recalculate(customer, drain_jobs)
    assert fired(customer) == {("Fees", "", "25.0000", "20.0000")}
    assert [m["Subject"] for m in mails(smtp)] == ["telcost alert: Fees"]


def test_a_rule_for_each_device_fires_for_a_device_without_cdrs_on_its_fee(month, smtp, drain_jobs):
    # C has no CDRs; its fee alone (12.50) is over 12.40.
    rule(month["customer"], name="Fee", scope="device", target="31600000003", threshold="12.40")
    recalculate(month["customer"], drain_jobs)
    assert fired(month["customer"]) == {("Fee", "31600000003", "12.5000", "12.4000")}


def test_a_customer_without_rules_evaluates_nothing(month, smtp, drain_jobs):
    job = recalculate(month["customer"], drain_jobs)
    assert job.result["alerts_fired"] == 0
    assert not Alert.objects.exists() and smtp.messages == []


def test_alerts_of_one_month_do_not_stop_another_month(month, smtp, drain_jobs):
    customer = month["customer"]
    rule(customer, name="Total", threshold="10")
    recalculate(customer, drain_jobs)
    device = month["devices"]["C"]
    september = OCT.replace(month=9)
    CDR.objects.create(
        customer=customer,
        device=device,
        external_id="sep-1",
        started_at=local(2026, 9, 3, 9),
        record_type="sms",
        zone="national",
        destination="31201234567",
        provider_cost="0.1000",
        cycle_start=september,
    )
    recalculation_dispatch(customer=customer, cycle_start=september)
    drain_jobs()
    assert sorted(Alert.objects.values_list("cycle_start", flat=True)) == [september, OCT]
    assert len(smtp.messages) == 2
