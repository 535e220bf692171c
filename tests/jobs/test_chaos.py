"""Chaos: a bounded burst of work while workers are killed and their connections terminated.

PostgreSQL, 4 real `telcost worker` processes. For about 40 s a random worker is killed with
SIGKILL every few seconds (and a new one started), and every few seconds the database
sessions of all workers are terminated, while recalculations (clicks and syncs' follow-ups),
manual syncs against the provider simulator, exports mailed through a real SMTP server, addon
activations against the Nina simulator and Probe chains are requested. Then:
every job has ended within a bound, and ended well; no attempt of a step ran while another
attempt of it ran (Probe's trace, the kill times); each customer-month's backups are numbered
without gaps, the last one in place; and the totals equal those of a clean run afterwards,
so no synced CDR was left out; each export has one published file and was mailed once; each
accepted addon request is one activation at Nina, by its reference; and no temp file is left in
var.
"""

import os
import random
import re
import signal
import time
from collections import defaultdict

import pytest
from django.db import connection

from telcost.addons.models import AddonLog, CustomerAddon
from telcost.addons.services import AddonRequestError, addon_change_dispatch
from telcost.demo.generator import generate_cdrs
from telcost.exports.models import ExportJob
from telcost.exports.services import export_request
from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.models import Job, Step
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.simulators.nina import start_nina_simulator
from telcost.simulators.provider import start_provider_simulator
from telcost.syncs.profiles import sync_profile_create
from telcost.syncs.services import sync_manual_dispatch
from telcost.usage.models import CDR, CycleTotals, TotalsBackup
from telcost.usage.recalculation.services import recalculation_dispatch
from telcost.usage.selectors import totals_get
from tests.conftest import wait_for
from tests.factories import CustomerFactory, DeviceFactory, UserFactory
from tests.mail import Inbox, free_port, start_smtp
from tests.usage.helpers import SEPT, plan_with

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="terminates PostgreSQL sessions"
    ),
]

OCT = SEPT.replace(month=10)
MONTHS = (SEPT, OCT)
CHAOS_SECONDS = 40
CHAOS_ENV = {
    "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
    "TELCOST_JOBS_STALE_AFTER_SECONDS": "3",
    "TELCOST_JOBS_SWEEP_SECONDS": "0.5",
}


def terminate_worker_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return len(cursor.fetchall())


def overlapping_attempts(trace_path: str, killed_at: dict[int, float]) -> list:
    """Attempts of one step whose runs overlapped in time. A run ends at its `end` line, or
    when its worker was killed."""
    runs: dict[tuple, dict] = defaultdict(dict)
    with open(trace_path) as f:
        for line in f:
            step_id, attempt, pid, what, at = line.split()
            runs[int(step_id), int(attempt)]["pid"] = int(pid)
            runs[int(step_id), int(attempt)][what] = float(at)
    by_step = defaultdict(list)
    for (step_id, attempt), run in runs.items():
        end = run.get("end", killed_at.get(run["pid"]))
        assert end is not None, f"step {step_id} attempt {attempt} neither ended nor was killed"
        by_step[step_id].append((run["start"], end, attempt))
    overlaps = []
    for step_id, spans in by_step.items():
        spans.sort()
        for (_, end, a), (start, _, b) in zip(spans, spans[1:], strict=False):
            if start < end:
                overlaps.append((step_id, a, b, end - start))
    return overlaps


def test_work_survives_killed_workers_and_terminated_connections(
    rated_customer, start_worker, tmp_path
):
    customers = [rated_customer(plan_with()) for _ in range(3)]
    for n, customer in enumerate(customers):
        devices = [DeviceFactory(customer=customer) for _ in range(20)]
        for month in MONTHS:
            generate_cdrs(customer=customer, devices=devices, cycle_start=month, count=4000, seed=n)
    synced = CustomerFactory(name="Synced BV")
    customers.append(synced)
    user = UserFactory(username="chaos", is_staff=True, email="chaos@example.test")
    var = tmp_path / "var"
    inbox, smtp_port = Inbox(), free_port()
    smtp = start_smtp(smtp_port, inbox)
    worker_env = {
        **CHAOS_ENV,
        "TELCOST_VAR_DIR": str(var),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
    }
    base_url, provider, stop_provider = start_provider_simulator()
    nina_url, nina, stop_nina = start_nina_simulator(api_key="chaos-nina-key")
    worker_env.update(NINA_API_URL=nina_url, NINA_API_KEY="chaos-nina-key")
    boosted = CustomerFactory(name="Boost BV", external_ref="RT-CHAOS")
    # Short steps: each has 3 or 4 attempts, and a kill or a terminated session costs the running
    # step one; a step hit on every attempt fails, honestly ("worker lost 3 times"). The chaos is
    # paced so that is improbable, not so that nothing is hit (the test asserts that some is).
    provider.records, provider.page_size = 300, 100
    profile = sync_profile_create(
        customer=synced,
        name="Provider X",
        provider="http_api",
        settings={"base_url": base_url},
        credentials={"api_key": "key-chaos"},
    )
    trace = str(tmp_path / "trace.log")
    rng = random.Random(13)
    workers = [start_worker(f"w{i}", **worker_env) for i in range(4)]
    killed_at: dict[int, float] = {}
    jobs: list[int] = []
    exports: set[int] = set()
    addon_jobs: set[int] = set()
    addons_refused = 0
    kills = terminations = 0
    try:
        started = time.monotonic()
        next_kill, next_terminate, next_request = started + 2, started + 3, started
        while time.monotonic() - started < CHAOS_SECONDS:
            now = time.monotonic()
            if now >= next_request:
                next_request = now + rng.uniform(0.2, 0.6)
                roll = rng.random()
                customer, month = rng.choice(customers[:3]), rng.choice(MONTHS)
                if roll < 0.5:
                    jobs.append(
                        recalculation_dispatch(
                            customer=customer,
                            cycle_start=month,
                            user=user,
                            new_cdrs=rng.random() < 0.5,
                        ).pk
                    )
                elif roll < 0.6:
                    export = export_request(
                        customer=customer, user=user, cycle_start_date=month, kind="cdrs", fmt="csv"
                    )
                    exports.add(export.pk)
                    jobs.append(export.job_id)
                elif roll < 0.7:
                    task = sync_manual_dispatch(
                        profile=profile, cycle_start=rng.choice(MONTHS), user=user
                    )
                    jobs.append(task.job_id)
                elif roll < 0.8:
                    try:
                        addon_job = addon_change_dispatch(
                            customer=boosted,
                            user=user,
                            action="activate",
                            addon_type=rng.choice(["data_boost", "eu_roaming"]),
                        )
                        addon_jobs.add(addon_job.pk)
                        jobs.append(addon_job.pk)
                    except AddonRequestError as refused:  # the 11th within a minute: 429
                        assert refused.status == 429
                        addons_refused += 1
                else:
                    steps = [
                        StepSpec("Probe", {"trace": trace, "sleep_s": rng.choice([0.2, 0.5, 0.8])})
                    ] * 3
                    jobs.append(
                        job_dispatch(
                            kind=PROBE_KIND, steps=steps, lock_key=f"probe:{rng.randrange(3)}"
                        ).pk
                    )
            if now >= next_kill:
                next_kill = now + rng.uniform(2.0, 4.0)
                victim = rng.choice([w for w in workers if w.poll() is None])
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait(timeout=10)
                killed_at[victim.pid] = time.time()
                workers.append(start_worker(f"r{kills}", **worker_env))
                kills += 1
            if now >= next_terminate:
                next_terminate = now + rng.uniform(3.0, 5.0)
                terminate_worker_sessions()
                terminations += 1
            time.sleep(0.05)
        # Every job ends within a bound: twice the stale limit per kill is far more than needed.
        wait_for(
            lambda: not Job.objects.filter(pk__in=jobs, status__in=Job.ACTIVE).exists(),
            timeout=90,
            message="every job of the burst to end",
        )
        # Sync follow-ups are jobs of their own.
        wait_for(
            # Ended, and their kinds' reactions run (a failed sync's follow-up recalculation is
            # one):
            # a worker killed in between leaves a reaction to the recovery sweep.
            lambda: not Job.objects.filter(reacted_at__isnull=True).exists(),
            timeout=60,
            message="every follow-up to end",
        )
        assert kills >= 8 and terminations >= 8
        ended = Job.objects.exclude(status="completed").values_list("pk", "kind", "status", "error")
        assert not ended, list(ended)
        assert overlapping_attempts(trace, killed_at) == []
        # The chaos did hit the work: steps ran again, and the syncs brought CDRs.
        rerun = Step.objects.filter(attempts__gt=1).count()
        assert rerun >= 1
        assert CDR.objects.filter(customer=synced).exists()
        print(
            f"chaos: {len(set(jobs))} jobs asked, {Job.objects.count()} in all, {kills} kills,"
            f" {terminations} terminations, {rerun} steps run again, {len(exports)} exports"
        )
        for customer in customers:
            for month in MONTHS:
                versions = sorted(
                    TotalsBackup.objects.filter(customer=customer, cycle_start=month).values_list(
                        "version", flat=True
                    )
                )
                assert versions == list(range(1, len(versions) + 1))
                if versions:
                    assert (
                        CycleTotals.objects.get(customer=customer, cycle_start=month).version
                        == versions[-1]
                    )
            customer.refresh_from_db()
            assert customer.calculate_totals is False and customer.totals_outcome in ("", "ok")
        # Totals equal a clean run's, made now without chaos: nothing synced was left out.
        months_done = [
            (c, m)
            for c in customers
            for m in MONTHS
            if CycleTotals.objects.filter(customer=c, cycle_start=m).exists()
        ]
        chaos_totals = all_totals_of(months_done)
        clean = [
            recalculation_dispatch(customer=c, cycle_start=m, user=user).pk for c, m in months_done
        ]
        wait_for(
            lambda: Job.objects.filter(pk__in=clean, status="completed").count() == len(clean),
            timeout=60,
            message="the clean run",
        )
        assert all_totals_of(months_done) == chaos_totals
        # Each export: one published file, one mail, and no temp file anywhere in var.
        assert set(ExportJob.objects.filter(pk__in=exports).values_list("status", flat=True)) == {
            "completed"
        }
        for pk in exports:
            assert len(list((var / "files" / "exports" / str(pk)).iterdir())) == 1, pk
        leftovers = [
            p
            for p in var.rglob("*")
            if p.is_file() and (p.parent.name == "tmp" or p.name.endswith(".part"))
        ]
        assert leftovers == []
        wait_for(lambda: len(inbox.messages) >= len(exports), timeout=30, message="the mails")
        time.sleep(1.0)  # a second mail of one export would have come by now
        bodies = [m.content.decode() for m in inbox.messages]
        mails = {
            pk: sum(bool(re.search(rf"/download/export/{pk}(?!\d)", b)) for b in bodies)
            for pk in exports
        }
        assert set(mails.values()) == {1}, mails
        # Each accepted addon request: one activation at Nina, under its own reference, however
        # often its call was repeated after a kill or a lost connection; telcost agrees.
        assert (
            addon_jobs
            and not Job.objects.filter(pk__in=addon_jobs).exclude(status="completed").exists()
        )
        references = sorted(
            str(pk)
            for pk in AddonLog.objects.filter(job__in=addon_jobs).values_list("pk", flat=True)
        )
        at_nina = sorted(a["reference"] for a in nina.addons.get("RT-CHAOS", []))
        assert at_nina == references
        assert CustomerAddon.objects.filter(customer=boosted, status="active").count() == len(
            addon_jobs
        )
        print(f"chaos: {len(addon_jobs)} addon requests accepted, {addons_refused} refused (429)")
    finally:
        stop_nina()
        stop_provider()
        smtp.stop()


def all_totals_of(months) -> dict:
    snapshot = {}
    for customer, month in months:
        answer = totals_get(customer=customer, cycle_start=month)
        for volatile in ("version", "calculated_at"):
            answer.pop(volatile)
        snapshot[customer.pk, month] = answer
    return snapshot
