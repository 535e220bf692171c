"""Shared plumbing of the benchmarks: a scratch database, Django set-up, workers, medians.

A benchmark never runs in the test suite. It prints its figures and the ratio to
a baseline measured in the same run, because this machine is shared and noisy.
"""

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
