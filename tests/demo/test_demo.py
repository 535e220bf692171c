import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import psutil
import pytest
from django.core.management import call_command
from django.db.models import Count

from telcost.accounts.rules import MANAGE_ADDONS, RECALCULATE, VIEW
from telcost.alerts.models import Alert, AlertRule
from telcost.core.cdr_format import CSV_COLUMNS
from telcost.customers.models import (
    CostCenterAssignment,
    Customer,
    Device,
    RatePlan,
    RatePlanVersion,
)
from telcost.customers.selectors import device_cost_center_history
from telcost.demo.generator import build_demo
from telcost.jobs.models import Job
from telcost.outbox.models import OutgoingMail
from telcost.reports.models import ReportSubscription
from telcost.syncs.credentials import credentials_decrypt
from telcost.syncs.models import SyncProfile
from telcost.usage.models import CDR
from telcost.usage.selectors import totals_get

SEPT = dt.date(2026, 9, 15)
SMALL = {"devices_per_customer": 12, "cdrs_per_month": 200, "months": 3, "today": SEPT}


@pytest.mark.django_db
def test_the_demo_world_has_every_kind_of_thing_and_is_deterministic():
    demo = build_demo(**SMALL)
    assert {c.kind for c in demo.customers.values()} == {"rateplan", "standard"}
    # Two partners, each with customers of its own.
    assert len(demo.partners) == 2
    for partner in demo.partners.values():
        assert partner.is_partner and partner.partner_id is None
    assert {c.partner_id for c in demo.customers.values()} == {p.pk for p in demo.partners.values()}
    assert Device.objects.count() == 5 * 12
    assert CDR.objects.count() == 5 * 3 * 200
    assert set(CDR.objects.values_list("cycle_start", flat=True)) == {
        dt.date(2026, 7, 1),
        dt.date(2026, 8, 1),
        dt.date(2026, 9, 1),
    }
    assert set(CDR.objects.values_list("record_type", flat=True)) == {"voice", "sms", "data"}
    assert set(CDR.objects.values_list("zone", flat=True)) == {"national", "eu", "international"}
    users = demo.users
    rated = demo.customers["rateplan"]
    assert users["admin"].is_staff
    assert users["manager"].has_perm(RECALCULATE, rated) and not users["viewer"].has_perm(
        RECALCULATE, rated
    )
    assert users["viewer"].has_perm(VIEW, rated)
    assert users["partner"].has_perm(MANAGE_ADDONS, rated)
    assert users["partner2"].has_perm(MANAGE_ADDONS, demo.customers["installer"])
    assert not users["partner2"].has_perm(VIEW, rated)
    first = list(
        CDR.objects.order_by("external_id").values_list("external_id", "provider_cost")[:20]
    )
    counts = _counts()
    again = build_demo(**SMALL)
    assert again.cdrs == 0 and again.recalculations == 0, "a second load adds nothing"
    assert _counts() == counts
    assert (
        list(CDR.objects.order_by("external_id").values_list("external_id", "provider_cost")[:20])
        == first
    )


def _counts() -> dict:
    from django.apps import apps

    return {
        model.__name__: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"customers", "usage", "syncs", "jobs", "accounts"}
    }


@pytest.mark.django_db
def test_devices_have_labels_users_and_a_cost_center_history():
    build_demo(**SMALL)
    devices = Device.objects.all()
    assert all(d.label for d in devices)
    named = devices.exclude(user_name="")
    assert 0 < named.count() < devices.count(), "people carry phones; routers carry no one"
    assert CostCenterAssignment.objects.values("device").distinct().count() == 60
    moved = Device.objects.annotate(n=Count("cost_center_assignments")).filter(n__gte=2)
    assert moved.count() >= 10
    twice = Device.objects.annotate(n=Count("cost_center_assignments")).filter(n__gte=3)
    assert twice.exists(), "some devices moved twice"
    # Switched-off SIMs are in no cost center from this month on (an assignment without one).
    assert CostCenterAssignment.objects.filter(cost_center=None).exists()
    device = twice.first()
    history = device_cost_center_history(device)
    assert len(history) >= 3 and history[-1].valid_from == dt.date(2026, 7, 1)
    assert history[0].valid_until is None and all(h.valid_until for h in history[1:])


@pytest.mark.django_db
def test_rate_plans_have_versions_and_customers():
    build_demo(**SMALL)
    plans = RatePlan.objects.annotate(n=Count("versions"), c=Count("customers", distinct=True))
    assert {p.code: (p.n >= 2, p.c >= 1) for p in plans} == {
        "biz-2026": (True, True),
        "flex-2026": (True, True),
        "iot-2026": (True, True),
    }
    versions = RatePlanVersion.objects.filter(rate_plan__code="biz-2026").order_by("valid_from")
    assert [(v.valid_from, v.monthly_fee) for v in versions] == [
        (dt.date(2000, 1, 1), Decimal("12.5000")),
        (dt.date(2026, 9, 1), Decimal("13.5000")),
    ]
    for version in RatePlanVersion.objects.all():
        assert version.definition["code"] == version.rate_plan.code
        assert Decimal(version.definition["monthly_fee"]) == version.monthly_fee


@pytest.mark.django_db
def test_a_sync_profile_of_every_provider_kind_served_by_the_simulators(settings):
    build_demo(**SMALL)
    profiles = SyncProfile.objects.all()
    assert {p.provider for p in profiles} == set(SyncProfile.Provider.values)
    assert all(p.schedule and p.active for p in profiles)
    http = profiles.get(provider="http_api")
    port = int(os.environ.get("TELCOST_PORT", "8000")) + 102
    assert http.settings["base_url"] == os.environ.get(
        "PROVIDER_SIMULATOR_URL", f"http://127.0.0.1:{port}"
    )
    assert credentials_decrypt(http.credentials_encrypted)["api_key"].startswith("key-")
    drop = profiles.get(provider="file_drop")
    folder = Path(settings.TELCOST_DROP_ROOT) / drop.settings["path"]
    lines = (folder / "cdrs-2026-09.csv").read_text().splitlines()
    assert lines[0].split(",") == list(CSV_COLUMNS) and len(lines) == 201


@pytest.mark.django_db
def test_every_month_is_calculated_by_the_real_recalculation(drain_jobs):
    demo = build_demo(**SMALL)
    assert demo.recalculations == 5 * 3
    drain_jobs()
    for customer in demo.customers.values():
        for month in (dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)):
            totals = totals_get(customer=customer, cycle_start=month)
            assert totals is not None, (customer.name, month)
            assert Decimal(totals["total_cost"]) > 0
    assert not Job.objects.exclude(status="completed").exists()


def test_the_demo_has_alert_rules_that_fire_and_a_monthly_report(drain_jobs):
    demo = build_demo(**SMALL)
    drain_jobs()
    rateplan = demo.customers["rateplan"]
    rules = dict(AlertRule.objects.filter(customer=rateplan).values_list("name", "metric"))
    assert rules == {"Maandbudget": "total_cost", "Roaming per toestel": "roaming_cost"}
    budget = Alert.objects.filter(rule__name="Maandbudget").order_by("cycle_start")
    # Every calculated month went over the budget: each fired once, each with its mail queued.
    assert [a.cycle_start.month for a in budget] == [7, 8, 9]
    assert all(a.value > a.threshold for a in budget)
    keys = set(OutgoingMail.objects.values_list("key", flat=True))
    assert {f"alert:{a.pk}" for a in budget} <= keys
    subscription = ReportSubscription.objects.get(customer=rateplan)
    assert (subscription.user.username, subscription.day_of_month) == ("manager", 1)
    build_demo(**SMALL)  # idempotent: nothing made twice
    assert AlertRule.objects.count() == 3 and ReportSubscription.objects.count() == 1


@pytest.mark.django_db
def test_load_demo_command_prints_the_logins(capsys):
    call_command(
        "load_demo", "--devices", "5", "--cdrs-per-month", "10", "--months", "1", "--no-calculate"
    )
    out = capsys.readouterr().out
    assert "login admin / telcost-demo" in out and "login partner2 / telcost-demo" in out
    assert Customer.objects.count() == 7


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_demo_runner_serves_a_working_login_and_stops_everything(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TELCOST_VAR_DIR=str(tmp_path / "var"), TELCOST_PORT=str(port))
    runner = subprocess.Popen(
        [sys.executable, "-m", "telcost.demo_runner"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 300  # the loader calculates 15 months first
        while time.monotonic() < deadline:
            line = runner.stdout.readline()
            output.append(line)
            if "Press Ctrl-C" in line or runner.poll() is not None:
                break
        text = "".join(output)
        assert f"http://127.0.0.1:{port}/" in text, text[-2000:]
        assert "login admin / telcost-demo" in text
        children = psutil.Process(runner.pid).children(recursive=True)
        assert len(children) >= 2, "web server and worker"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False) as client:
            client.get("/login/")
            response = client.post(
                "/login/",
                data={
                    "username": "admin",
                    "password": "telcost-demo",
                    "csrfmiddlewaretoken": client.cookies["csrftoken"],
                },
                headers={"Referer": f"http://127.0.0.1:{port}/login/"},
            )
            assert response.status_code == 302
            home = client.get("/")
            assert home.status_code == 200 and re.search("Datri Logistics", home.text)
            # Alive on first login: every customer's months are calculated, and a sync profile
            # of every provider kind is there to run.
            customers = client.get("/api/customers?page_size=500").json()["items"]
            assert len(customers) == 7
            this_month = dt.date.today().strftime("%Y-%m")
            kinds = set()
            for c in customers:
                if c["is_partner"]:
                    continue
                totals = client.get(f"/api/customers/{c['id']}/totals?month={this_month}")
                assert totals.status_code == 200, (c["name"], totals.text)
                profiles = client.get(f"/api/customers/{c['id']}/sync-profiles").json()["items"]
                kinds |= {p["provider"] for p in profiles}
                for profile in profiles:
                    # Each ran once against its simulator while the demo loaded.
                    tasks = client.get(f"/api/sync-profiles/{profile['id']}").json()["tasks"]
                    assert [t["status"] for t in tasks] == ["completed"], (profile, tasks)
                    assert tasks[0]["counts"]["imported"] > 0, tasks
            assert kinds == {"file_drop", "http_api", "routit"}
        # The simulators follow TELCOST_PORT: a second demo, or this test beside a demo, fits.
        for offset, name in ((101, "Nina API simulator"), (102, "provider simulator")):
            assert f"{name} on http://127.0.0.1:{port + offset}" in text, text[-2000:]
            assert httpx.get(f"http://127.0.0.1:{port + offset}/_control").status_code == 200
    finally:
        runner.send_signal(signal.SIGINT)
        runner.wait(timeout=30)
    time.sleep(0.5)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE], (
        "no orphans"
    )
