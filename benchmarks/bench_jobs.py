"""Job engine benchmark: dispatch-to-first-step latency, chain step overhead, jobs/s with 2 workers.

    .venv/bin/python benchmarks/bench_jobs.py [--database sqlite|postgres|both] [--jobs 400]

Baseline, measured in the same run on the same database: bare django-tasks-db
tasks (enqueue + upstream db_worker), i.e. what the engine adds on top of.
"""

import argparse
import datetime as dt
import json
import random
import sys
import time

from _harness import (
    ROOT,
    median,
    run_child,
    scratch_database_url,
    setup_django,
    wait_until,
    workers,
)


def hold_backlog() -> None:
    """Keep the backlog from running while the workers start up."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(status="READY").update(
        run_after=timezone.now() + dt.timedelta(days=1)
    )


def drain_backlog(done) -> float:
    """Release every READY task at one instant and time until `done()`."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    start_at = timezone.now() + dt.timedelta(seconds=0.5)
    DBTaskResult.objects.filter(status="READY").update(run_after=start_at)
    wait_until(lambda: timezone.now() >= start_at, interval=0.001)
    t0 = time.monotonic()
    wait_until(done, interval=0.02)
    return time.monotonic() - t0


def measure(kind: str, n_jobs: int) -> dict:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from benchmarks.baseline_tasks import raw_noop
    from telcost.jobs.diagnostics import PROBE_KIND
    from telcost.jobs.models import Job
    from telcost.jobs.services import StepSpec, job_dispatch

    results: dict = {"database": kind}
    with workers(1):
        latencies = []
        for _ in range(20):
            # Land at a random point of the worker's poll interval, as a real click does.
            time.sleep(random.uniform(0, 0.1))  # noqa: S311
            t0 = time.time()
            job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")]).job
            wait_until(
                lambda job=job: Job.objects.filter(pk=job.pk, status="completed").exists(),
                interval=0.002,
            )
            step = job.steps.get()
            latencies.append(step.started_at.timestamp() - t0)
        results["dispatch_to_first_step_ms"] = round(median(latencies) * 1000, 1)
        overheads = []
        for _ in range(5):
            job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")] * 10).job
            wait_until(
                lambda job=job: Job.objects.filter(pk=job.pk, status="completed").exists(),
                interval=0.005,
            )
            steps = list(job.steps.order_by("position"))
            gaps = [
                (b.started_at - a.finished_at).total_seconds()
                for a, b in zip(steps, steps[1:], strict=False)
            ]
            overheads.append(
                median(gaps)
                + median([(s.finished_at - s.started_at).total_seconds() for s in steps])
            )
        results["chain_step_ms"] = round(median(overheads) * 1000, 1)
    connection.close()

    # Throughput: a backlog that becomes ready at one instant, once both workers are polling.
    for _ in range(n_jobs):
        job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Noop")])
    hold_backlog()
    with workers(2, interval=0.05):
        elapsed = drain_backlog(
            lambda: not Job.objects.filter(kind=PROBE_KIND.name, status__in=Job.ACTIVE).exists()
        )
    results["jobs_per_s_2_workers"] = round(n_jobs / elapsed, 1)

    # Baseline: the same number of bare tasks through the upstream worker.
    DBTaskResult.objects.all().delete()
    for _ in range(n_jobs):
        raw_noop.enqueue()
    hold_backlog()
    with workers(2, command="db_worker", interval=0.05):
        elapsed = drain_backlog(
            lambda: not DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists()
        )
    results["baseline_raw_tasks_per_s_2_workers"] = round(n_jobs / elapsed, 1)
    results["ratio_jobs_to_raw_tasks"] = round(
        results["jobs_per_s_2_workers"] / results["baseline_raw_tasks_per_s_2_workers"], 2
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--_child", default="")
    args = parser.parse_args()
    if args._child:
        setup_django(
            scratch_database_url(args._child, "jobs"), f"/tmp/telcost-bench-var-{args._child}"
        )
        sys.path.insert(0, str(ROOT))
        print(json.dumps(measure(args._child, args.jobs)))
        return
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(
        f"# job engine benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}, {args.jobs} jobs for "
        f"throughput"
    )
    for kind in kinds:
        # One process per database: Django is configured once per process.
        r = run_child([__file__, "--_child", kind, "--jobs", str(args.jobs)])
        print(
            f"{kind:9s} dispatch→first step {r['dispatch_to_first_step_ms']:7.1f} ms (median of "
            f"20) | "
            f"chain step {r['chain_step_ms']:6.1f} ms | 2 workers {r['jobs_per_s_2_workers']:6.1f} "
            f"jobs/s "
            f"vs bare tasks {r['baseline_raw_tasks_per_s_2_workers']:6.1f}/s (ratio "
            f"{r['ratio_jobs_to_raw_tasks']})"
        )


if __name__ == "__main__":
    main()
