"""Exports under killed workers and a failing SMTP server: one file, one mail, nothing left behind.

Real `telcost worker` processes killed with SIGKILL, a real aiosmtpd server stopped and started,
the real database (SQLite file or PostgreSQL).
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from django.test import Client

from telcost.demo.generator import generate_cdrs
from telcost.exports.models import ExportJob
from telcost.exports.services import export_parts_sweep, export_request
from telcost.exports.steps import generate_customer_excel_report
from telcost.jobs import runner
from telcost.jobs.errors import StepError
from telcost.jobs.models import Job, Step
from telcost.jobs.runner import StepContext
from tests.conftest import ROOT, wait_for
from tests.factories import CostCenterAssignmentFactory, CostCenterFactory, DeviceFactory
from tests.mail import Inbox, free_port, start_smtp
from tests.usage.helpers import SEPT

FAST_RECOVERY = {
    "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
    "TELCOST_JOBS_STALE_AFTER_SECONDS": "2",
    "TELCOST_JOBS_SWEEP_SECONDS": "0.5",
}


def temp_files(var: Path) -> list[Path]:
    """Files a write in progress leaves: anything in var/tmp, parts of exports not published."""
    return [
        p
        for p in var.rglob("*")
        if p.is_file() and (p.parent.name == "tmp" or p.name.endswith(".part"))
    ]


def export_files(export: ExportJob, var: Path) -> list[str]:
    folder = var / "files" / "exports" / str(export.pk)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def ended(export: ExportJob):
    return lambda: Job.objects.get(pk=export.job_id).status not in Job.ACTIVE


@pytest.fixture
def var(subprocess_env, settings, tmp_path) -> Path:
    """A var directory of this test's own, for the workers and this process's storage alike."""
    path = tmp_path / "var"
    subprocess_env["TELCOST_VAR_DIR"] = str(path)
    settings.VAR_DIR = path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(path / "files")},
        },
    }
    return path


@pytest.fixture
def small_export(customer, manager):
    center = CostCenterFactory(customer=customer, code="SALES")
    CostCenterAssignmentFactory(
        device=DeviceFactory(customer=customer), cost_center=center, valid_from=dt.date(2026, 1, 1)
    )
    manager.email = "manager@example.test"
    manager.save()
    return lambda: export_request(
        customer=customer, user=manager, cycle_start_date=SEPT, kind="cost_centers", fmt="csv"
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_writing_leaves_one_file_and_no_temp_files(
    customer, manager, start_worker, var
):
    devices = [DeviceFactory(customer=customer) for _ in range(20)]
    generate_cdrs(customer=customer, devices=devices, cycle_start=SEPT, count=150_000, seed=3)
    export = export_request(
        customer=customer, user=manager, cycle_start_date=SEPT, kind="cdrs", fmt="xlsx"
    )
    doomed = start_worker("doomed", **FAST_RECOVERY)
    wait_for(lambda: temp_files(var), timeout=60, interval=0.01, message="the file being written")
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    start_worker("rescuer", **FAST_RECOVERY)
    wait_for(ended(export), timeout=120, message="the export")
    export.refresh_from_db()
    assert export.status == "completed", export.error
    assert Step.objects.get(job=export.job_id, position=0).attempts == 2
    assert temp_files(var) == []
    assert export_files(export, var) == [export.download_name]
    assert export.rows == 150_000
    with zipfile.ZipFile(var / "files" / export.file_name) as book:
        assert book.testzip() is None  # whole: every part's CRC holds


@pytest.mark.django_db(transaction=True)
def test_an_attempt_that_lost_its_step_publishes_nothing_and_removes_its_file(
    small_export, var, monkeypatch
):
    """A worker whose step was handed to another (its heartbeat broke) finishes writing later: its
    file is thrown away, whether it ends before or after the attempt that owns the step."""
    export = small_export()
    step = Step.objects.get(job=export.job_id, position=0)
    # Attempt 1 (worker "stale") was taken over: the step is attempt 2's, of worker "rescuer".
    Step.objects.filter(pk=step.pk).update(status="running", attempts=2, worker="rescuer")
    monkeypatch.setattr(runner, "WORKER_ID", "stale")
    with pytest.raises(StepError):
        generate_customer_excel_report(StepContext(job=export.job, step=step, attempt=1))
    export.refresh_from_db()
    assert export.status != "completed" and not export.file_name
    assert export_files(export, var) == [] and temp_files(var) == []
    monkeypatch.setattr(runner, "WORKER_ID", "rescuer")
    generate_customer_excel_report(StepContext(job=export.job, step=step, attempt=2))
    export.refresh_from_db()
    assert export.status == "completed" and export_files(export, var) == [export.download_name]
    # The stale attempt comes back once more, after the file was published: nothing changes.
    monkeypatch.setattr(runner, "WORKER_ID", "stale")
    ExportJob.objects.filter(pk=export.pk).update(status="running")  # as the stale attempt saw it
    with pytest.raises(StepError):
        generate_customer_excel_report(StepContext(job=export.job, step=step, attempt=1))
    assert export_files(export, var) == [export.download_name] and temp_files(var) == []


@pytest.mark.django_db(transaction=True)
def test_the_sweep_removes_parts_of_attempts_that_no_longer_run(small_export, var):
    export = small_export()
    step = Step.objects.get(job=export.job_id, position=0)
    folder = var / "files" / "exports" / str(export.pk)
    folder.mkdir(parents=True)
    dead = folder / f".{export.download_name}.s{step.pk}-a1.part"
    alive = folder / f".{export.download_name}.s{step.pk}-a2.part"
    dead.write_bytes(b"half")
    alive.write_bytes(b"half")
    Step.objects.filter(pk=step.pk).update(status="running", attempts=2, worker="w")
    assert export_parts_sweep() == 1
    assert not dead.exists() and alive.exists()
    Step.objects.filter(pk=step.pk).update(status="failed")
    assert export_parts_sweep() == 1 and not alive.exists()


def mail_env(port: int, **more) -> dict:
    return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), **FAST_RECOVERY, **more}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_server_took_the_mail_does_not_mail_it_again(
    small_export, start_worker, var
):
    inbox, port = Inbox(), free_port()
    inbox.hold_quit = True  # the message is taken; the worker waits for the answer to QUIT
    server = start_smtp(port, inbox)
    try:
        export = small_export()
        doomed = start_worker("doomed", **mail_env(port))
        assert inbox.held.wait(60) and len(inbox.messages) == 1
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
        inbox.hold_quit = False
        inbox.release.set()
        start_worker("rescuer", **mail_env(port))
        wait_for(ended(export), timeout=60, message="the export")
        time.sleep(1)
        export.refresh_from_db()
        assert len(inbox.messages) == 1
        assert export.mail_state == "sent" and export.mailed_at is not None
        assert Job.objects.get(pk=export.job_id).status == "completed"
    finally:
        inbox.release.set()
        server.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_before_the_server_took_the_mail_sends_it_once(
    small_export, start_worker, var
):
    inbox, port = Inbox(), free_port()
    inbox.hold_data, inbox.accept_held = (
        True,
        False,
    )  # killed mid-DATA: the server never takes that copy
    server = start_smtp(port, inbox)
    try:
        export = small_export()
        doomed = start_worker("doomed", **mail_env(port))
        assert inbox.held.wait(60)
        assert ExportJob.objects.get(pk=export.pk).mail_state == "sending"
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
        inbox.hold_data = False
        inbox.release.set()
        start_worker("rescuer", **mail_env(port))
        wait_for(ended(export), timeout=60, message="the export")
        export.refresh_from_db()
        assert len(inbox.messages) == 1 and export.mail_state == "sent"
        assert inbox.messages[0].content.decode().count(f"/download/export/{export.pk}") == 1
    finally:
        inbox.release.set()
        server.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_mail_that_failed_is_sent_once_smtp_is_back(
    small_export, start_worker, var, api_client, manager
):
    port = free_port()  # nothing listens there yet: SMTP is down
    export = small_export()
    start_worker("w", **mail_env(port, TELCOST_EXPORT_MAIL_RETRY_FIRST_SECONDS="1"))
    wait_for(ended(export), timeout=60, message="the export")
    export.refresh_from_db()
    assert Job.objects.get(pk=export.job_id).status == "completed" and export.status == "completed"
    assert export.mail_state == "retrying" and export.mail_error and export.mail_next_at is not None
    detail = api_client(manager).get(f"/api/exports/{export.pk}").json()
    assert detail["mail_state"] == "retrying" and detail["mail_next_at"] and detail["mail_error"]
    page = Client()
    page.force_login(manager)
    assert (
        "De e-mail met de link kon nog niet worden verstuurd"
        in page.get(f"/exports/{export.pk}/status").content.decode()
    )
    page.cookies["django_language"] = "en"
    assert (
        "The mail with the link could not be sent yet"
        in page.get(f"/exports/{export.pk}/status").content.decode()
    )
    inbox = Inbox()
    server = start_smtp(port, inbox)  # SMTP is back
    try:
        assert inbox.arrived.wait(60)
        wait_for(
            lambda: ExportJob.objects.get(pk=export.pk).mail_state == "sent",
            timeout=30,
            message="sent",
        )
        time.sleep(2)
        assert len(inbox.messages) == 1
        export.refresh_from_db()
        assert export.mailed_at is not None and export.mail_next_at is None
        assert (
            "De link is naar u gemaild" in page.get(f"/exports/{export.pk}/status").content.decode()
            or "The link was mailed to you"
            in page.get(f"/exports/{export.pk}/status").content.decode()
        )
    finally:
        server.stop()


@pytest.fixture
def start_sweeper(subprocess_env, tmp_path):
    """start_sweeper(**env) -> a `telcost worker` that takes no tasks (a queue nobody uses) and
    only runs the timers, recovery among them; killed at teardown."""
    processes = []

    def start(**env_overrides) -> subprocess.Popen:
        log = open(tmp_path / "sweeper.log", "w")
        command = [
            sys.executable,
            "-m",
            "telcost.manage",
            "worker",
            "--interval",
            "0.05",
            "--queue-name",
            "nobody",
            "--worker-id",
            "sweeper",
        ]
        processes.append(
            subprocess.Popen(
                command,
                env={**subprocess_env, **env_overrides},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        return processes[-1]

    yield start
    for process in processes:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_taken_over_while_writing_leaves_one_file(
    customer, manager, start_worker, start_sweeper, var
):
    """The issue's case: a worker whose heartbeat stopped is taken over while it still writes; both
    attempts write the export, one file is published and the other attempt's part is removed."""
    devices = [DeviceFactory(customer=customer) for _ in range(20)]
    generate_cdrs(customer=customer, devices=devices, cycle_start=SEPT, count=200_000, seed=5)
    # Up before the export exists: it hands a step over 0.6 s after its last heartbeat.
    start_sweeper(TELCOST_JOBS_STALE_AFTER_SECONDS="0.6", TELCOST_JOBS_SWEEP_SECONDS="0.1")
    export = export_request(
        customer=customer, user=manager, cycle_start_date=SEPT, kind="cdrs", fmt="xlsx"
    )
    first_step = Step.objects.filter(job=export.job_id, position=0)
    start_worker("silent", TELCOST_JOBS_HEARTBEAT_SECONDS="100")  # runs on, never beats
    wait_for(lambda: first_step.filter(status="running").exists(), timeout=60, message="attempt 1")
    start_worker("rescuer", TELCOST_JOBS_HEARTBEAT_SECONDS="0.1")
    wait_for(ended(export), timeout=120, message="the export")
    export.refresh_from_db()
    assert export.status == "completed", export.error
    assert first_step.get().attempts >= 2
    time.sleep(3)  # the silent worker's attempt ends too, if it was still writing
    assert temp_files(var) == []
    assert export_files(export, var) == [export.download_name]
    assert export.rows == 200_000


@pytest.mark.django_db(transaction=True)
def test_the_mail_timer_waits_for_the_job_claims_once_and_gives_up_after_the_window(
    small_export, var, settings, drain_jobs
):
    from django.utils import timezone

    from telcost.exports.services import exports_mail_retry
    from tests.mail import smtp_mailers

    settings.MAILERS = smtp_mailers(free_port(), timeout=1)  # down
    export = small_export()
    drain_jobs()  # generates the file; the mail step fails and waits for its retry
    export.refresh_from_db()
    assert export.mail_state == "retrying" and Job.objects.get(pk=export.job_id).status == "running"
    ExportJob.objects.filter(pk=export.pk).update(mail_next_at=timezone.now())
    assert exports_mail_retry() == 0  # while the job runs, its mail step is the one sender
    assert ExportJob.objects.get(pk=export.pk).mail_tries == 1
    Job.objects.filter(pk=export.job_id).update(status="completed")
    inbox, port = Inbox(), free_port()
    server = start_smtp(port, inbox)
    settings.MAILERS = smtp_mailers(port)
    try:
        assert exports_mail_retry() == 1 and exports_mail_retry() == 0
        assert len(inbox.messages) == 1
        assert ExportJob.objects.get(pk=export.pk).mail_state == "sent"
    finally:
        server.stop()
    # Another export whose mail keeps failing: given up once the retry window is over.
    settings.MAILERS = smtp_mailers(free_port(), timeout=1)
    settings.TELCOST_EXPORT_MAIL_RETRY_HOURS = 0
    ExportJob.objects.filter(pk=export.pk).update(
        mail_state="retrying", mail_next_at=timezone.now()
    )
    assert exports_mail_retry() == 0
    export.refresh_from_db()
    assert export.mail_state == "failed" and export.mail_next_at is None and export.mail_error
