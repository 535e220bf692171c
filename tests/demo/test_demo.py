import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import psutil
import pytest
from django.core.management import call_command

from telcost.accounts.rules import MANAGE_ADDONS, RECALCULATE, VIEW
from telcost.customers.models import CostCenterAssignment, Customer, Device
from telcost.demo.generator import build_demo
from telcost.usage.models import CDR


@pytest.mark.django_db
def test_the_demo_world_has_every_kind_of_thing_and_is_deterministic():
    demo = build_demo(
        devices_per_customer=12, cdrs_per_month=200, months=3, today=dt.date(2026, 9, 15)
    )
    assert {c.kind for c in demo.customers.values()} == {"rateplan", "standard"}
    assert all(c.partner == demo.partner for c in demo.customers.values())
    assert Device.objects.count() == 36
    assert CDR.objects.count() == 3 * 3 * 200
    assert set(CDR.objects.values_list("cycle_start", flat=True)) == {
        dt.date(2026, 7, 1),
        dt.date(2026, 8, 1),
        dt.date(2026, 9, 1),
    }
    assert set(CDR.objects.values_list("record_type", flat=True)) == {"voice", "sms", "data"}
    assert set(CDR.objects.values_list("zone", flat=True)) == {"national", "eu", "international"}
    assert CostCenterAssignment.objects.values("device").distinct().count() == 36
    users = demo.users
    rated = demo.customers["rateplan"]
    assert users["admin"].is_staff
    assert users["manager"].has_perm(RECALCULATE, rated) and not users["viewer"].has_perm(
        RECALCULATE, rated
    )
    assert users["viewer"].has_perm(VIEW, rated)
    assert users["partner"].has_perm(MANAGE_ADDONS, rated)
    first = list(
        CDR.objects.order_by("external_id").values_list("external_id", "provider_cost")[:20]
    )
    again = build_demo(
        devices_per_customer=12, cdrs_per_month=200, months=3, today=dt.date(2026, 9, 15)
    )
    assert again.cdrs == 0 and CDR.objects.count() == 1800, "a second load adds nothing"
    assert (
        list(CDR.objects.order_by("external_id").values_list("external_id", "provider_cost")[:20])
        == first
    )


@pytest.mark.django_db
def test_load_demo_command_prints_the_logins(capsys):
    call_command("load_demo", "--devices", "5", "--cdrs-per-month", "10", "--months", "1")
    out = capsys.readouterr().out
    assert "login admin / telcost-demo" in out and Customer.objects.count() == 4


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
        deadline = time.monotonic() + 120
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
