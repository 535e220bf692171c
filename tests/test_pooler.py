"""telcost behind a connection pooler in transaction mode (pgbouncer, pool_mode=transaction).

Such a pooler gives each transaction, or each statement outside one, whichever server connection
is free, so whatever lives in a session breaks: session advisory locks, LISTEN, cursors WITH HOLD,
prepared statements, SET and temporary tables across transactions. The first tests show two of
those breaking through a real pgbouncer (why TELCOST_DB_POOLER=transaction exists); the last runs
the app under gunicorn and real workers through pgbouncer, with that setting: a recalculation, an
upload import, an export and a sync each complete exactly once, and a killed worker's step is
taken over. PostgreSQL only (the `pgbouncer` fixture skips on SQLite).
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import httpx
import psycopg
import pytest
from django.db import connection

from telcost.accounts.models import ApiToken
from telcost.core.cdr_format import CSV_COLUMNS
from telcost.demo.generator import generate_cdrs
from telcost.exports.models import ExportJob
from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.locks import _key_number
from telcost.jobs.models import Job, Step
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.simulators.provider import start_provider_simulator
from telcost.syncs.profiles import sync_profile_create
from telcost.testing.pgbouncer import pgbouncer_running
from telcost.usage.models import CDR, CycleTotals
from tests.conftest import ROOT, wait_for
from tests.factories import DeviceFactory, UserFactory
from tests.mail import free_port
from tests.usage.helpers import SEPT, plan_with

pytestmark = pytest.mark.django_db(transaction=True)

OCT = SEPT.replace(month=10)
NOV = SEPT.replace(month=11)


def _conninfo(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def test_a_session_advisory_lock_is_shared_by_every_client_of_its_server_connection(pgbouncer):
    """Why telcost's per-key lock is a transaction's behind the pooler: a session lock taken
    through it stays with the server connection, which the pooler then hands to another client,
    who holds it too; pg_advisory_unlock from the first may go to another connection and fail."""
    settings_dict = connection.settings_dict
    with pgbouncer_running(
        settings_dict.get("HOST") or "127.0.0.1",
        int(settings_dict.get("PORT") or 5432),
        pool_size=1,
    ) as single:
        url = _conninfo(single.url(settings_dict.get("USER") or "postgres", settings_dict["NAME"]))
        key = _key_number("pooler-demo")
        with (
            psycopg.connect(url, autocommit=True) as first,
            psycopg.connect(url, autocommit=True) as second,
        ):
            first.execute("SELECT pg_advisory_lock(%s)", [key])
            # Another client, the same server connection: it "gets" the lock the first holds.
            assert second.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone() == (True,)
            second.execute("SELECT pg_advisory_unlock_all()")


def test_a_cursor_with_hold_is_lost_when_the_next_fetch_goes_to_another_server_connection(
    pgbouncer,
):
    """Why Django's server-side cursors outside a transaction (declared WITH HOLD) are off behind
    the pooler: the FETCH after the DECLARE may reach another server connection."""
    url = _conninfo(pgbouncer.database_url)
    with (
        psycopg.connect(url, autocommit=True) as reader,
        psycopg.connect(url, autocommit=True) as other,
    ):
        reader.execute("DECLARE c CURSOR WITH HOLD FOR SELECT generate_series(1, 10)")
        with other.transaction():
            other.execute("SELECT 1")  # holds the one server connection the pool had
            with pytest.raises(psycopg.errors.InvalidCursorName):
                reader.execute("FETCH 5 FROM c")


def test_the_pooler_setting_configures_what_a_transaction_pooler_needs(subprocess_env):
    def settings_of(**env) -> subprocess.CompletedProcess:
        code = (
            "from django.conf import settings as s; "
            "print(s.DB_POOLER, s.JOBS_LISTEN, "
            "s.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False))"
        )
        return subprocess.run(
            [sys.executable, "-m", "telcost.manage", "shell", "--no-imports", "-c", code],
            env={**subprocess_env, "TELCOST_JOBS_LISTEN": "", **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
        )

    pg = {"DATABASE_URL": "postgres://postgres@127.0.0.1:6432/telcost"}
    assert settings_of(**pg).stdout.split() == ["none", "True", "False"]
    pooled = settings_of(**pg, TELCOST_DB_POOLER="transaction")
    assert pooled.stdout.split() == ["transaction", "False", "True"]
    listening = settings_of(**pg, TELCOST_DB_POOLER="transaction", TELCOST_JOBS_LISTEN="true")
    assert listening.returncode != 0 and "TELCOST_JOBS_LISTEN" in listening.stderr
    sqlite = settings_of(DATABASE_URL="sqlite:////tmp/x.sqlite3", TELCOST_DB_POOLER="transaction")
    assert sqlite.returncode != 0 and "TELCOST_DB_POOLER" in sqlite.stderr
    assert "expected one of" in settings_of(**pg, TELCOST_DB_POOLER="session").stderr


def _serve(env: dict, log_path) -> tuple[subprocess.Popen, str]:
    """The app under gunicorn (as deployed, docs/deploy.md) on a free port."""
    port = free_port()
    log = open(log_path, "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "telcost.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "60",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/api/openapi.json", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server did not start:\n{log_path.read_text()}")
        time.sleep(0.2)


def _upload_csv(devices, count: int) -> bytes:
    """`count` CDRs of November over the devices, in the upload's format (more than one batch)."""
    lines = [",".join(CSV_COLUMNS)]
    start = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    for n in range(count):
        at = (start + dt.timedelta(seconds=97 * n)).isoformat()
        msisdn = devices[n % len(devices)].msisdn
        lines.append(f"up{n:07d},{msisdn},{at},voice,national,31201234567,{30 + n % 300},0,0.0500")
    return ("\n".join(lines) + "\n").encode()


def _job_ends(client: httpx.Client, job_id: int, timeout: float = 90) -> dict:
    def ended():
        answer = client.get(f"/api/jobs/{job_id}").json()
        return answer if answer["status"] not in ("pending", "running") else None

    return wait_for(ended, timeout=timeout, interval=0.2, message=f"job {job_id} to end")


def test_the_app_and_its_workers_work_through_pgbouncer_in_transaction_mode(
    rated_customer, pooled_env, pgbouncer, start_worker, tmp_path
):
    customer = rated_customer(plan_with())
    devices = [
        DeviceFactory(customer=customer, activated_on=dt.date(2026, 1, 1)) for _ in range(30)
    ]
    generate_cdrs(customer=customer, devices=devices, cycle_start=SEPT, count=5000, seed=3)
    user = UserFactory(username="pooled", is_staff=True, email="pooled@example.test")
    _, token = ApiToken.issue(user)
    provider_url, provider, stop_provider = start_provider_simulator()
    provider.records, provider.page_size = 600, 200
    profile = sync_profile_create(
        customer=customer,
        name="Provider X",
        provider="http_api",
        settings={"base_url": provider_url},
        credentials={"api_key": "key-pooled"},
    )
    env = {
        **pooled_env,
        "TELCOST_VAR_DIR": str(tmp_path / "var"),
        "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
        "TELCOST_JOBS_STALE_AFTER_SECONDS": "3",
        "TELCOST_JOBS_SWEEP_SECONDS": "0.5",
    }
    server, base = _serve(env, tmp_path / "server.log")
    workers = {f"p{i}-{i}": start_worker(f"p{i}", base_env=env) for i in range(2)}
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    try:
        # A recalculation.
        answer = client.post(f"/usage/recalculate_total_usage/{SEPT.isoformat()}/{customer.pk}")
        assert answer.status_code == 202, answer.text
        recalculation = _job_ends(client, answer.json()["job_id"])
        assert recalculation["status"] == "completed", recalculation
        # An upload: 25,000 CDRs, two batches through one staging table in one transaction.
        answer = client.post(
            f"/api/customers/{customer.pk}/cdr-imports",
            files={"file": ("nov.csv", _upload_csv(devices, 25_000), "text/csv")},
        )
        assert answer.status_code == 202, answer.text
        imported = _job_ends(client, answer.json()["job_id"])
        assert imported["status"] == "completed", imported
        assert CDR.objects.filter(customer=customer, cycle_start=NOV).count() == 25_000
        answer = client.post(f"/usage/recalculate_total_usage/{NOV.isoformat()}/{customer.pk}")
        assert _job_ends(client, answer.json()["job_id"])["status"] == "completed"
        # An export of September's CDRs (a server-side cursor inside its transaction), and the
        # same as csv (COPY).
        exports = []
        for fmt in ("xlsx", "csv"):
            answer = client.post(
                "/api/exports",
                json={
                    "customer_id": customer.pk,
                    "cycle_start_date": SEPT.isoformat(),
                    "kind": "cdrs",
                    "format": fmt,
                },
            )
            assert answer.status_code == 202, answer.text
            exports.append(answer.json())
        for export in exports:
            assert _job_ends(client, export["job_id"])["status"] == "completed"
            assert client.get(f"/api/exports/{export['export_id']}").json()["rows"] == 5000
            download = client.get(export["download_url"])
            assert download.status_code == 200 and len(download.content) > 10_000
        # A sync of October from the provider simulator, page by page.
        answer = client.post(
            "/sync-profile/manual-sync",
            json={"sync_profile_id": profile.pk, "date": OCT.isoformat()},
        )
        assert answer.status_code == 202, answer.text
        synced = _job_ends(client, answer.json()["job_id"])
        assert synced["status"] == "completed", synced
        assert CDR.objects.filter(customer=customer, cycle_start=OCT).count() == 600
        # The imports' and the sync's follow-up recalculations end too.
        wait_for(
            lambda: not Job.objects.filter(status__in=Job.ACTIVE).exists(),
            timeout=90,
            message="every follow-up to end",
        )
        # A killed worker's step is taken over: Probe holds its key (the lock in a transaction of
        # its own connection) when its worker is killed; the pooler drops that server connection,
        # so the lock goes with it and the next attempt takes the key.
        trace = str(tmp_path / "trace.log")
        probe = job_dispatch(
            kind=PROBE_KIND,
            steps=[StepSpec("Probe", {"trace": trace, "sleep_s": 4})],
            lock_key="pooler:probe",
        )
        wait_for(lambda: os.path.exists(trace), timeout=30, message="the probe to start")
        victim = workers[Step.objects.get(job_id=probe.pk).worker]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        start_worker("p2", base_env=env)
        probe_answer = _job_ends(client, probe.pk, timeout=60)
        assert probe_answer["status"] == "completed", probe_answer
        assert Step.objects.get(job_id=probe.pk).attempts == 2
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=20)
        stop_provider()
    # Exactly once: every job completed, each step ran within its attempts, one completed
    # recalculation chain per customer-month asked, the totals of each month at version 1 or on
    # (one per recalculation that completed), one file per export.
    assert set(Job.objects.values_list("status", flat=True)) == {"completed"}
    assert not Step.objects.exclude(status="succeeded").exists()
    for step in Step.objects.all():
        assert 1 <= step.attempts <= step.max_attempts
    assert Step.objects.exclude(job_id=probe.pk).filter(attempts__gt=1).count() == 0
    recalculations = Job.objects.filter(kind="recalculate_totals")
    per_month = {
        month: recalculations.filter(params__cycle_start=month.isoformat()).count()
        for month in (SEPT, OCT, NOV)
    }
    for month, count in per_month.items():
        assert count >= 1, per_month
        assert CycleTotals.objects.get(customer=customer, cycle_start=month).version == count
    for export in ExportJob.objects.all():
        folder = tmp_path / "var" / "files" / "exports" / str(export.pk)
        assert len(list(folder.iterdir())) == 1
    # Nothing held on: no advisory lock is left on any server connection.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert cursor.fetchone() == (0,)
    assert "login attempt" in pgbouncer.log
