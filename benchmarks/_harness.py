"""Shared plumbing of the benchmarks: a scratch database, Django set-up, workers, medians.

A benchmark never runs in the test suite. It prints its figures and the ratio to
a baseline measured in the same run, because this machine is shared and noisy.
"""

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scratch_database_url(kind: str, name: str) -> str:
    """A fresh database for a benchmark: a new SQLite file, or a recreated PostgreSQL database."""
    if kind == "sqlite":
        path = Path("/tmp") / f"telcost-bench-{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "telcost_bench_{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "telcost_bench_{name}"')
    return f"postgres://postgres@127.0.0.1:5432/telcost_bench_{name}"


def setup_django(database_url: str, var_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["TELCOST_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcost.settings")
    # The benchmarks' own keys, as the tests have theirs (telcost refuses to start without).
    import telcost.testing.suite_keys  # noqa: F401

    # The benchmarks' simulators listen on loopback and their drop folders live under /tmp.
    os.environ.setdefault("TELCOST_ALLOW_PRIVATE_PROVIDER_URLS", "true")
    os.environ.setdefault("TELCOST_DROP_ROOT", "/tmp")
    os.environ["TELCOST_JOBS_DIAGNOSTIC_STEPS"] = "1"  # bench_jobs measures the engine with Noop
    subprocess.run(
        [sys.executable, "-m", "telcost.manage", "migrate", "-v", "0"], check=True, cwd=ROOT
    )
    import django

    django.setup()


@contextmanager
def workers(
    count: int, *, command: str = "worker", interval: float = 0.1, extra_env: dict | None = None
):
    env = {**os.environ, **(extra_env or {})}
    args = [sys.executable, "-m", "telcost.manage", command, "--interval", str(interval)]
    if command == "db_worker":
        args += ["--queue-name", "*", "--no-startup-delay", "--no-reload", "-v", "0"]
    procs = [
        subprocess.Popen(
            args + ["--worker-id", f"bench-{command}-{i}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]
    time.sleep(2.0)  # let them import Django and start polling
    try:
        yield procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def workers_ready(count: int, *, command: str = "worker", timeout: float = 180.0) -> None:
    """Until each of workers(count) has run a step: on a loaded machine a worker may take far
    longer than workers()' 2 s to import Django, and a measurement started before would count
    its start-up. Noop jobs are dispatched until every worker id has taken one."""
    from telcost.jobs.diagnostics import PROBE_KIND
    from telcost.jobs.models import Job, Step
    from telcost.jobs.services import StepSpec, job_dispatch

    wanted = {f"bench-{command}-{i}" for i in range(count)}
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while seen < wanted:
        if time.monotonic() > deadline:
            raise TimeoutError(f"workers {sorted(wanted - seen)} never took a step")
        jobs = [job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")]).pk for _ in range(count)]
        wait_until(
            lambda jobs=jobs: not Job.objects.filter(pk__in=jobs, status__in=Job.ACTIVE).exists(),
            timeout=timeout,
            interval=0.05,
        )
        seen |= set(Step.objects.filter(job_id__in=jobs).values_list("worker", flat=True))
        time.sleep(0.2)


def wait_until(predicate, timeout: float = 300.0, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        time.sleep(interval)


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- A customer-month as the benchmarks build it ------------------------------------------------

# October 2026 holds the change from summer to winter time: local times take both offsets.
DST_CYCLE = dt.date(2026, 10, 1)
COST_CENTERS = 40
MOVE_DAY = dt.date(2026, 10, 15)


def bench_rate_plan():
    """The demo's rate plan under the code "bench" (bundles, boosts, a monthly fee), made through
    the service as the rate-plan editor makes it."""
    from telcost.customers.models import RatePlan
    from telcost.customers.services import rate_plan_create
    from telcost.demo.generator import DEMO_RATE_PLAN

    return RatePlan.objects.filter(code="bench").first() or rate_plan_create(
        definition={**DEMO_RATE_PLAN, "code": "bench", "name": "bench"}
    )


def bench_customer(name: str, *, kind: str, devices: int, first_msisdn: int = 31600000000):
    """A customer with `devices` devices (msisdns from first_msisdn on) and the cost-center layout
    of cost_center_layout; a rate-plan customer has bench_rate_plan."""
    from telcost.customers.models import Customer, Device

    customer = Customer.objects.create(
        name=name, kind=kind, rate_plan=bench_rate_plan() if kind == "rateplan" else None
    )
    Device.objects.bulk_create(
        [
            Device(
                msisdn=str(first_msisdn + i), customer=customer, activated_on=dt.date(2026, 1, 1)
            )
            for i in range(devices)
        ]
    )
    made = list(customer.devices.order_by("id"))
    cost_center_layout(customer, made)
    return customer, made


def cost_center_layout(customer, devices: list) -> None:
    """40 cost centers; every 20th device has none (an empty cell, the `unassigned` row), and a
    tenth move to the next center on MOVE_DAY: their CDRs take the center of their own local day,
    so the per-CDR cost-center lookup is part of what is measured."""
    from telcost.customers.models import CostCenter, CostCenterAssignment

    centers = CostCenter.objects.bulk_create(
        [
            CostCenter(customer=customer, code=f"CC{i:02d}", name=f"Center {i}")
            for i in range(COST_CENTERS)
        ]
    )
    assignments = []
    for i, device in enumerate(devices):
        if i % 20 == 19:
            continue
        assignments.append(
            CostCenterAssignment(
                device=device, cost_center=centers[i % COST_CENTERS], valid_from=dt.date(2026, 1, 1)
            )
        )
        if i % 10 == 3:
            assignments.append(
                CostCenterAssignment(
                    device=device,
                    cost_center=centers[(i + 1) % COST_CENTERS],
                    valid_from=MOVE_DAY,
                )
            )
    CostCenterAssignment.objects.bulk_create(assignments)


def write_cdr_file(path: Path, *, msisdns: list[str], cycle: dt.date, count: int) -> Path:
    """The month's CDRs as the upload's CSV (SPEC's columns, ISO times with their offset), spread
    over the msisdns in turn; the demo generator's values. Written once per (count, devices)."""
    import csv
    import random

    from telcost.core.cdr_format import CSV_COLUMNS
    from telcost.core.cycles import cycle_bounds
    from telcost.demo.generator import _cdr_fields

    if path.exists():
        return path
    rng = random.Random(f"flow-{cycle}")
    start, end = cycle_bounds(cycle)
    span = int((end - start).total_seconds())
    partial = path.with_suffix(".part")
    with open(partial, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for i in range(count):
            f = _cdr_fields(rng, start, span, None)
            writer.writerow(
                (
                    f"flow-{cycle:%Y%m}-{i}",
                    msisdns[i % len(msisdns)],
                    f["started_at"].astimezone(start.tzinfo).isoformat(),
                    f["record_type"],
                    f["zone"],
                    f["destination"],
                    f["duration_s"],
                    f["volume_kb"],
                    f["provider_cost"],
                )
            )
    partial.replace(path)
    return path


def month_file(cdrs: int, devices: int) -> Path:
    """The DST_CYCLE month's CSV of `cdrs` CDRs over bench_customer's `devices` msisdns, written
    the first time it is asked for (in /tmp, kept for the next run)."""
    return write_cdr_file(
        Path("/tmp") / f"telcost-bench-flow-{cdrs}-{devices}.csv",
        msisdns=[str(31600000000 + i) for i in range(devices)],
        cycle=DST_CYCLE,
        count=cdrs,
    )


# --- Baselines: the same rows, the plainest way -------------------------------------------------


def csv_read_seconds(path: Path) -> float:
    """The csv module alone reading the file: the floor of an import."""
    import csv

    t0 = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as stream:
        for _ in csv.reader(stream):
            pass
    return time.perf_counter() - t0


def group_by_seconds(customer, cycle: dt.date) -> float:
    """A plain GROUP BY device, record_type, zone of the month's CDRs (no rating, no writes)."""
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT device_id, record_type, zone, COUNT(*), SUM(duration_s), SUM(volume_kb), "
            "SUM(provider_cost) FROM usage_cdr WHERE customer_id = %s AND cycle_start = %s "
            "GROUP BY device_id, record_type, zone",
            [customer.pk, cycle],
        )
        cursor.fetchall()
    return time.perf_counter() - t0


def plain_dump_seconds(customer, cycle: dt.date, path: Path) -> float:
    """The month's CDRs with their msisdn, in time order, into a csv file the plainest way:
    PostgreSQL's COPY (default settings), or SQLite's cursor into the csv module. No local time, no
    cost-center lookup: the floor of a CDR export."""
    import csv

    from django.db import connection

    sql = (
        "SELECT c.started_at, d.msisdn, c.duration_s, c.cost, c.record_type, c.zone, "
        "c.destination, c.volume_kb FROM usage_cdr c JOIN customers_device d ON d.id = c.device_id "
        "WHERE c.customer_id = %s AND c.cycle_start = %s ORDER BY c.started_at, c.id"
    )
    t0 = time.perf_counter()
    with open(path, "wb") as out, connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            copying = cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", [customer.pk, cycle])
            with copying as copy:
                for block in copy:
                    out.write(block)
        else:
            cursor.execute(sql, [customer.pk, cycle])
            import io

            text = io.TextIOWrapper(out, encoding="utf-8", newline="")
            writer = csv.writer(text)
            while batch := cursor.fetchmany(5000):
                writer.writerows(batch)
            text.flush()
            text.detach()
    return time.perf_counter() - t0


# --- The user's side: a web process, HTTP, jobs polled -------------------------------------------


@contextmanager
def web_server(processes: int = 1):
    """gunicorn serving telcost.wsgi on a free loopback port, as docs/deploy.md runs it; yields
    its base URL. Its environment is this process's (the benchmark's database and var dir)."""
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "telcost.wsgi",
            "-w",
            str(processes),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "900",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(httpx, base_url), timeout=300, interval=0.1)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _answers(httpx, base_url: str) -> bool:
    try:
        httpx.get(f"{base_url}/api/openapi.json", timeout=5)
        return True
    except httpx.TransportError:
        return False


def user_client(base_url: str, user):
    """An httpx client acting as `user`: an API token for /api and a session cookie for pages."""
    import httpx
    from django.conf import settings
    from django.test import Client

    from telcost.accounts.models import ApiToken

    _token, raw = ApiToken.issue(user, name="bench")
    browser = Client()
    browser.force_login(user)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {raw}"},
        cookies={settings.SESSION_COOKIE_NAME: session},
        timeout=900,
    )


def wait_job(client, job_id: int, timeout: float = 900.0) -> dict:
    """Poll GET /api/jobs/{id} every 20 ms until the job ended; its answer. Fails unless it
    completed."""
    answer: dict = {}

    def ended() -> bool:
        nonlocal answer
        response = client.get(f"/api/jobs/{job_id}")
        if response.status_code != 200:  # seen on SQLite at load 24: say so, and ask again
            print(
                f"GET /api/jobs/{job_id}: {response.status_code} {response.text[:200]}",
                file=sys.stderr,
            )
            return False
        answer = response.json()
        return answer["status"] not in ("pending", "running")

    wait_until(ended, timeout=timeout, interval=0.02)
    if answer["status"] != "completed":
        raise RuntimeError(f"job {job_id} ended {answer['status']}: {answer}")
    return answer


def step_seconds(job_id: int) -> dict:
    """Each finished step of the job: its name and seconds, from the job's records."""
    from telcost.jobs.models import Step

    return {
        step.name.removesuffix("Command"): round(
            (step.finished_at - step.started_at).total_seconds(), 2
        )
        for step in Step.objects.filter(job_id=job_id).order_by("position")
        if step.finished_at and step.started_at
    }


def peak_rss_mb(proc) -> int:
    """A live process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def run_child(args: list[str]) -> dict:
    """Run a benchmark's child process; the JSON of its last line (on failure: its stderr, exit)."""
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        print(out.stderr[-3000:])
        raise SystemExit(out.returncode)
    return json.loads(out.stdout.strip().splitlines()[-1])


def load_average() -> str:
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def workers_warm(count: int = 1) -> None:
    """Wait until the workers run jobs: one Noop job each, run to its end (a worker is not
    polling the moment its process starts, least of all on a loaded machine)."""
    from telcost.jobs.diagnostics import PROBE_KIND
    from telcost.jobs.models import Job
    from telcost.jobs.services import StepSpec, job_dispatch

    jobs = [job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")]).job for _ in range(count)]
    wait_until(
        lambda: (
            Job.objects.filter(pk__in=[j.pk for j in jobs], status="completed").count() == count
        ),
        timeout=120,
    )


def peak_rss_reset(proc) -> None:
    """Start a live process's peak resident memory (VmHWM) afresh (Linux's clear_refs 5)."""
    Path(f"/proc/{proc.pid}/clear_refs").write_text("5")


def upload_cdrs(client, customer, path: Path) -> dict:
    """The month's CSV uploaded as a manager does (POST /api/customers/{id}/cdr-imports) and its
    cdr_import job waited for: the job's answer."""
    with open(path, "rb") as upload:
        answer = client.post(
            f"/api/customers/{customer.pk}/cdr-imports",
            files={"file": (path.name, upload, "text/csv")},
        )
    assert answer.status_code == 202, answer.text[:300]
    return wait_job(client, answer.json()["job_id"])


def recalculate(client, customer, cycle: dt.date) -> dict:
    """The month recalculated through the API (POST /usage/recalculate_total_usage/{month}/{id})
    and its chain waited for: the job's answer."""
    answer = client.post(f"/usage/recalculate_total_usage/{cycle:%Y-%m}/{customer.pk}")
    assert answer.status_code == 202, answer.text[:300]
    return wait_job(client, answer.json()["job_id"])
