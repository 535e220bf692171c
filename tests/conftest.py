"""Fixtures shared by every test: factories' users, API clients, and real workers.

Worker processes are real `telcost worker` subprocesses on the test database
(the SQLite file or the PostgreSQL test database), so tests that use them must
be transactional (`@pytest.mark.django_db(transaction=True)`).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

import telcost.jobs.diagnostics  # noqa: F401 - registers Probe and Noop in the test process
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.mail import Inbox, free_port, smtp_mailers, start_smtp

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's deliberate slowness costs seconds per user in tests and proves nothing there.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The simulators listen on loopback and the tests' drop folders are temporary directories
# (tmp_path, or /tmp whatever TMPDIR says): what production refuses
# (TELCOST_ALLOW_PRIVATE_PROVIDER_URLS, TELCOST_DROP_ROOT), tests allow, in this process and in
# the workers they start. Tests of the refusals set their own values.
TEST_PROVIDER_SETTINGS = {"TELCOST_ALLOW_PRIVATE_PROVIDER_URLS": "true", "TELCOST_DROP_ROOT": "/"}


@pytest.fixture(autouse=True)
def providers_on_loopback_and_in_temp(settings):
    settings.TELCOST_ALLOW_PRIVATE_PROVIDER_URLS = True
    settings.TELCOST_DROP_ROOT = TEST_PROVIDER_SETTINGS["TELCOST_DROP_ROOT"]


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staff", is_staff=True)


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Acme BV")


@pytest.fixture
def manager(db, customer):
    user = UserFactory(username="manager")
    MembershipFactory(user=user, customer=customer, role="manager")
    return user


@pytest.fixture
def viewer(db, customer):
    user = UserFactory(username="viewer")
    MembershipFactory(user=user, customer=customer, role="viewer")
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


class ApiClient(Client):
    """A Django test client that speaks JSON and authenticates with a Bearer token."""

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.token = None
        if user is not None:
            from telcost.accounts.models import ApiToken

            _, self.token = ApiToken.issue(user)

    def _auth(self, extra):
        if self.token:
            extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return extra

    def get(self, path, data=None, **extra):
        return super().get(path, data, **self._auth(extra))

    def post(self, path, data=None, content_type="application/json", **extra):
        return super().post(path, data, content_type=content_type, **self._auth(extra))

    def put(self, path, data=None, content_type="application/json", **extra):
        return super().put(path, data, content_type=content_type, **self._auth(extra))

    def patch(self, path, data=None, content_type="application/json", **extra):
        return super().patch(path, data, content_type=content_type, **self._auth(extra))

    def delete(self, path, data=None, content_type="application/json", **extra):
        return super().delete(path, data, content_type=content_type, **self._auth(extra))


@pytest.fixture
def api_client():
    """api_client(user) -> a client whose requests carry that user's Bearer token."""
    return lambda user=None: ApiClient(user)


@pytest.fixture
def rated_customer(db):
    """rated_customer(definition=None, **fields) -> a rate-plan customer on its own plan."""
    from tests.factories import RatePlanFactory
    from tests.usage.helpers import plan_with

    def make(definition: dict | None = None, **kwargs):
        definition = definition or plan_with()
        plan = RatePlanFactory(
            code=definition["code"], name=definition["name"], definition=definition
        )
        return CustomerFactory(kind="rateplan", rate_plan=plan, **kwargs)

    return make


@pytest.fixture
def drain_jobs(db, django_capture_on_commit_callbacks):
    """Run every ready step in this process until none is left (no subprocess, no threads to wait
    on).

    The test's transaction never commits, so what waits for a commit (a job kind's reaction to
    its job's end) runs at the end of each round of the worker, as a worker's does after the
    round's transaction commits; a reaction may queue more work, which the next round runs.
    """
    from telcost.jobs.management.commands.worker import SupervisedWorker

    class DrainingWorker(SupervisedWorker):
        def _tick(self) -> bool:
            with django_capture_on_commit_callbacks(execute=True):
                return super()._tick()

    def drain(max_tasks: int = 1000) -> None:
        while True:
            worker = DrainingWorker(
                queue_names=["*"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=max_tasks,
                worker_id="pytest",
                excluded_queue_names=[],
            )
            worker.manage_connections = False
            worker.run()
            max_tasks -= worker._run_tasks
            # Until a pass runs nothing: its last round's callbacks may have queued a step.
            if not worker._run_tasks or max_tasks <= 0:
                return

    return drain


def database_url_of_test_db() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or "postgres"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture
def subprocess_env(transactional_db, tmp_path):
    """Environment for telcost subprocesses (workers, servers) that share the test database."""
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url_of_test_db()
    # The test process's own: files a page stored (an upload) are where the worker looks.
    env.setdefault("TELCOST_VAR_DIR", str(django_settings.VAR_DIR))
    env["PYTHONUNBUFFERED"] = "1"
    for name, value in TEST_PROVIDER_SETTINGS.items():
        env.setdefault(name, value)
    env["TELCOST_JOBS_DIAGNOSTIC_STEPS"] = "1"  # the workers run the tests' Probe and Noop
    return env


@pytest.fixture
def start_worker(subprocess_env, tmp_path):
    """start_worker(**env_overrides) -> a running `telcost worker` Popen; all are killed at
    teardown."""
    processes: list[subprocess.Popen] = []

    def start(
        name: str = "w", interval: float = 0.05, base_env: dict | None = None, **env_overrides
    ) -> subprocess.Popen:
        """base_env: instead of subprocess_env (pooled_env: through pgbouncer)."""
        env = {**(base_env or subprocess_env), **{k: str(v) for k, v in env_overrides.items()}}
        log = open(tmp_path / f"worker-{name}-{len(processes)}.log", "w")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "telcost.manage",
                "worker",
                "--interval",
                str(interval),
                "--worker-id",
                f"{name}-{len(processes)}",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        proc.log_path = log.name
        processes.append(proc)
        return proc

    yield start
    for proc in processes:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def pgbouncer(transactional_db):
    """A pgbouncer of the test's own in transaction mode before the PostgreSQL test database
    (telcost/testing/pgbouncer.py), stopped at teardown. PostgreSQL only."""
    from telcost.testing.pgbouncer import pgbouncer_path, pgbouncer_running

    if connection.vendor != "postgresql":
        pytest.skip("a connection pooler stands before PostgreSQL")
    if pgbouncer_path() is None:
        pytest.skip("pgbouncer is not installed (make pgbouncer)")
    settings_dict = connection.settings_dict
    with pgbouncer_running(
        settings_dict.get("HOST") or "127.0.0.1", int(settings_dict.get("PORT") or 5432)
    ) as bouncer:
        bouncer.database_url = bouncer.url(
            settings_dict.get("USER") or "postgres", settings_dict["NAME"]
        )
        yield bouncer


@pytest.fixture
def pooled_env(subprocess_env, pgbouncer):
    """subprocess_env for workers and servers that reach the test database through pgbouncer in
    transaction mode, set up for it (TELCOST_DB_POOLER=transaction)."""
    return {
        **subprocess_env,
        "DATABASE_URL": pgbouncer.database_url,
        "TELCOST_DB_POOLER": "transaction",
    }


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05, message: str = "condition"):
    """Poll until predicate() is truthy; fail the test with `message` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback; settings point Django's mail at it."""
    inbox = Inbox()
    port = free_port()
    controller = start_smtp(port, inbox)
    inbox.port = port
    settings.MAILERS = smtp_mailers(port)
    yield inbox
    inbox.release.set()
    controller.stop()
