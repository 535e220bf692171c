"""Issue 19 items 4 and 3: a partner range with 1, 2 and 4 workers behind two web processes, the
range growing with 4 workers, and once through pgbouncer in transaction mode (PostgreSQL).

    .venv/bin/python benchmarks/bench_scaleout.py [--customers 25] [--sizes 25,50,100]
        [--workers 1,2,4] [--months 12] [--cdrs 2000] [--repeat 1] [--no-pgbouncer]

The data is bench_partner's (its `build`: customers of 100 devices, `--cdrs` CDRs per
customer-month, a rate plan), made once for the largest size; a range of n customers is the
partner's first n children (the others are parked under another partner before it runs). The app
runs as deployed (README, docs/deploy.md): two gunicorn processes, each one web process on its own
port, and `telcost worker` processes. The range is asked with POST
/api/partners/{id}/recalculate on the first web process and its job is polled through both in
turn, as browsers behind a load balancer would.

After every run it checks that nothing was lost or run twice: the range's job completed with one
completed recalculate_totals child per customer-month and none failed; every step of those
children ran exactly once (attempts = 1) and none beyond its max_attempts; each customer-month's
totals are at version r after the r-th run of it, with backups 1..r without a gap (a step's effect
applied twice would skip a version); and the totals equal those of the first run.

The baseline, measured in the same run: one customer-month recalculated alone through one worker.
Throughput is customer-months per second; the ratios are to 1 worker (scale-out) and to the
smallest range (growth: time per customer-month must not grow with the count).
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager

from _harness import (
    ROOT,
    median,
    scratch_database_url,
    setup_django,
    wait_until,
    workers,
    workers_ready,
)
from bench_partner import build, months

WEB_PROCESSES = 2


@contextmanager
def web_processes(count: int, env: dict):
    """`count` gunicorn servers of one process each, on free ports: their base URLs."""
    import httpx

    from telcost.testing.pgbouncer import _free_port

    servers, bases, logs = [], [], []
    try:
        for n in range(count):
            port = _free_port()
            logs.append(f"/tmp/telcost-bench-web-{os.getpid()}-{n}.log")
            with open(logs[-1], "w") as log:
                servers.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "gunicorn",
                            "telcost.wsgi:application",
                            "--bind",
                            f"127.0.0.1:{port}",
                            "--workers",
                            "1",
                            "--timeout",
                            "300",
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            bases.append(f"http://127.0.0.1:{port}")
        for base, server, log in zip(bases, servers, logs, strict=True):

            def up(base=base, server=server, log=log) -> bool:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn stopped:\n{open(log).read()[-3000:]}")
                try:
                    return httpx.get(f"{base}/api/openapi.json", timeout=5).status_code == 200
                except httpx.TransportError:
                    return False

            # On a loaded machine a web process may take a minute or more to import the app.
            wait_until(up, timeout=600, interval=0.5)
        yield bases
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        for log in logs:
            os.unlink(log)


def range_of(partner, parked, n: int) -> None:
    """The partner's range is its first n children (by id); the rest wait under `parked`."""
    from telcost.customers.models import Customer

    kids = list(
        Customer.objects.filter(partner__in=[partner, parked])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Customer.objects.filter(pk__in=kids[:n]).update(partner=partner)
    Customer.objects.filter(pk__in=kids[n:]).update(partner=parked)


def totals_of(customer_ids) -> dict:
    from telcost.usage.models import CycleTotals

    return {
        (t.customer_id, t.cycle_start): (t.total_cost, t.version)
        for t in CycleTotals.objects.filter(customer_id__in=customer_ids)
    }


def run_range(bases: list[str], token: str, partner, first: dt.date, last: dt.date) -> dict:
    """Ask the range through the first web process, poll it through each in turn; the seconds
    from the POST to the job's end as the API reports it, and the job id."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    # The POST dispatches every customer-month's job in the request: 1,200 of them took over a
    # minute on the loaded machine.
    clients = [httpx.Client(base_url=base, headers=headers, timeout=900) for base in bases]
    try:
        t0 = time.perf_counter()
        answer = clients[0].post(
            f"/api/partners/{partner.pk}/recalculate",
            json={"start_date": first.isoformat(), "end_date": last.isoformat()},
        )
        answer.raise_for_status()
        posted = time.perf_counter() - t0
        job_id = answer.json()["job_id"]
        polls = [0]

        def ended() -> bool:
            polls[0] += 1
            state = clients[polls[0] % len(clients)].get(f"/api/jobs/{job_id}").json()
            return state["status"] not in ("pending", "running")

        wait_until(ended, timeout=7200, interval=0.2)
        return {
            "seconds": time.perf_counter() - t0,
            "post_s": round(posted, 2),
            "job_id": job_id,
            "polls": polls[0],
        }
    finally:
        for client in clients:
            client.close()


def check_once(job_id: int, customer_ids: list[int], month_list, runs_so_far: dict, first_totals):
    """Nothing lost, nothing run twice (see the module's docstring); returns what it counted."""
    from telcost.jobs.models import Job, Step
    from telcost.usage.models import TotalsBackup

    parent = Job.objects.get(pk=job_id)
    problems = []
    if parent.status != "completed" or parent.progress_failed:
        problems.append(f"range {parent.status}, {parent.progress_failed} failed")
    children = Job.objects.filter(parent_id=job_id)
    expected = len(customer_ids) * len(month_list)
    per_month: dict = {}
    for customer_id, params, status in children.values_list("customer_id", "params", "status"):
        key = (customer_id, dt.date.fromisoformat(params["cycle_start"]))
        per_month[key] = per_month.get(key, 0) + (status == "completed")
    wanted = {(c, m) for c in customer_ids for m in month_list}
    if set(per_month) != wanted or set(per_month.values()) != {1}:
        problems.append(f"{len(per_month)} customer-months of {expected}, not each once completed")
    steps = Step.objects.filter(job__parent_id=job_id)
    rerun = steps.exclude(attempts=1).count()
    beyond = sum(1 for a, m in steps.values_list("attempts", "max_attempts") if a > m)
    not_done = steps.exclude(status="succeeded").count()
    if rerun or beyond or not_done:
        problems.append(
            f"steps: {rerun} not run exactly once, {beyond} beyond max, {not_done} open"
        )
    totals = totals_of(customer_ids)
    for key in wanted:
        runs_so_far[key] = runs_so_far.get(key, 0) + 1
        version = totals.get(key, (None, None))[1]
        backups = sorted(
            TotalsBackup.objects.filter(customer_id=key[0], cycle_start=key[1]).values_list(
                "version", flat=True
            )
        )
        if version != runs_so_far[key] or backups != list(range(1, runs_so_far[key] + 1)):
            problems.append(f"{key}: version {version}, backups {backups}, runs {runs_so_far[key]}")
            break
        if key in first_totals and first_totals[key] != totals[key][0]:
            problems.append(f"{key}: totals {totals[key][0]} differ from {first_totals[key]}")
            break
        first_totals.setdefault(key, totals[key][0])
    # What the steps themselves took, against the range's wall time: on a shared machine the
    # steps slow down with the load, so the concurrency (busy / wall) shows the scale-out apart.
    spans = [
        (end - start).total_seconds()
        for start, end in steps.values_list("started_at", "finished_at")
        if start and end
    ]
    return {
        "busy_s": round(sum(spans), 2),
        "step_median_s": round(median(spans), 4) if spans else None,
        "children": children.count(),
        "steps": steps.count(),
        "rerun_steps": rerun,
        "problems": problems,
    }


def measure(args) -> dict:
    from telcost.accounts.models import ApiToken
    from telcost.customers.models import Customer
    from telcost.jobs.models import Job
    from telcost.testing.pgbouncer import pgbouncer_running
    from telcost.usage.recalculation.services import recalculation_dispatch

    sizes = sorted({args.customers, *args.sizes})
    month_list = months(args.months)
    first, last = month_list[0], month_list[-1]
    t0 = time.perf_counter()
    partner = build(max(sizes), args.months, args.cdrs)
    parked = Customer.objects.create(name="bench parked partner")
    generated = time.perf_counter() - t0
    # What autovacuum would do after the load (it is off on some servers: docs/deploy.md); the
    # range measures the recalculation, not the planner's guesses about a table it never saw.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench-scaleout", is_staff=True)
    _, token = ApiToken.issue(user)
    runs_so_far: dict = {}
    first_totals: dict = {}
    out: dict = {"generated_s": round(generated, 1), "runs": []}

    def one(label: str, n: int, worker_count: int, extra_env: dict | None = None):
        range_of(partner, parked, n)
        ids = list(partner.children.order_by("pk").values_list("pk", flat=True))
        env = {**os.environ, **(extra_env or {})}
        with ExitStack() as stack:
            bases = stack.enter_context(web_processes(WEB_PROCESSES, env))
            stack.enter_context(workers(worker_count, interval=0.05, extra_env=extra_env))
            workers_ready(worker_count)
            timing = run_range(bases, token, partner, first, last)
        checked = check_once(timing["job_id"], ids, month_list, runs_so_far, first_totals)
        cms = n * len(month_list)
        row = {
            "label": label,
            "customers": n,
            "workers": worker_count,
            "customer_months": cms,
            "seconds": round(timing["seconds"], 2),
            "post_s": timing["post_s"],
            "per_cm_s": round(timing["seconds"] / cms, 4),
            "cm_per_s": round(cms / timing["seconds"], 2),
            "load": os.getloadavg()[0],
            **checked,
        }
        row["concurrency"] = round(row["busy_s"] / timing["seconds"], 2)
        out["runs"].append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    # Baseline: one customer-month alone through one worker.
    range_of(partner, parked, max(sizes))
    lone = partner.children.order_by("pk").first()
    singles = []
    with workers(1, interval=0.05):
        workers_ready(1)
        for month in month_list[-3:]:
            t = time.perf_counter()
            job = recalculation_dispatch(customer=lone, cycle_start=month)
            wait_until(lambda job=job: Job.objects.get(pk=job.pk).status not in Job.ACTIVE, 600)
            singles.append(time.perf_counter() - t)
            runs_so_far[(lone.pk, month)] = runs_so_far.get((lone.pk, month), 0) + 1
    out["single_s"] = round(median(singles), 3)
    for _ in range(args.repeat):
        for worker_count in args.workers:
            one("scale-out", args.customers, worker_count)
    if args.pgbouncer:
        with pgbouncer_running(pool_size=20) as bouncer:
            pooled = {
                "DATABASE_URL": bouncer.url("postgres", connection.settings_dict["NAME"]),
                "TELCOST_DB_POOLER": "transaction",
            }
            for _ in range(args.repeat):
                one("pgbouncer", args.customers, 4, pooled)
    for n in sizes:
        if n != args.customers or 4 not in args.workers:
            for _ in range(args.repeat):
                one("growth", n, 4)
    return out


def report(args, r: dict) -> None:
    print(
        f"# partner range on PostgreSQL: customers × {args.months} months × {args.cdrs:,} CDRs per "
        f"customer-month over 100 devices; {WEB_PROCESSES} web processes (gunicorn); data made in "
        f"{r['generated_s']} s"
    )
    print(f"baseline: one customer-month alone, 1 worker: {r['single_s']} s (median of 3)")
    runs = r["runs"]

    def med(label, **where):
        chosen = [
            x for x in runs if x["label"] == label and all(x[k] == v for k, v in where.items())
        ]
        if not chosen:
            return None
        return {
            "seconds": median([x["seconds"] for x in chosen]),
            "per_cm_s": median([x["per_cm_s"] for x in chosen]),
            "cm_per_s": median([x["cm_per_s"] for x in chosen]),
            "n": len(chosen),
            "concurrency": median([x["concurrency"] for x in chosen]),
            "step_median_s": median([x["step_median_s"] for x in chosen]),
            "load": max(x["load"] for x in chosen),
        }

    one_worker = med("scale-out", workers=args.workers[0])
    print(
        f"scale-out, {args.customers} customers ({args.customers * args.months} customer-months):"
    )
    for w in args.workers:
        m = med("scale-out", workers=w)
        print(
            f"  {w} worker(s): {m['seconds']:.1f} s, {m['cm_per_s']:.2f} customer-months/s, "
            f"{m['per_cm_s']:.3f} s each (median of {m['n']}; load ≤ {m['load']:.1f}); steps "
            f"{m['step_median_s']:.3f} s median, {m['concurrency']:.2f} running at once | "
            f"× {m['cm_per_s'] / one_worker['cm_per_s']:.2f} of {args.workers[0]} worker | "
            f"ratio to the lone customer-month {m['per_cm_s'] / r['single_s']:.2f}"
        )
    smallest = None
    print("growth, 4 workers:")
    for n in sorted({args.customers, *args.sizes}):
        m = med("growth", customers=n) or med("scale-out", customers=n, workers=4)
        if m is None:
            continue
        smallest = smallest or m
        print(
            f"  {n} customers ({n * args.months} customer-months): {m['seconds']:.1f} s, "
            f"{m['per_cm_s']:.3f} s per customer-month (median of {m['n']}; load ≤ "
            f"{m['load']:.1f}) | ratio to {sorted({args.customers, *args.sizes})[0]} customers "
            f"{m['per_cm_s'] / smallest['per_cm_s']:.2f}"
        )
    pooled = med("pgbouncer")
    direct = med("scale-out", workers=4)
    if pooled and direct:
        print(
            f"through pgbouncer (transaction mode), 4 workers, {args.customers} customers: "
            f"{pooled['seconds']:.1f} s, {pooled['per_cm_s']:.3f} s each | ratio to direct "
            f"{pooled['per_cm_s'] / direct['per_cm_s']:.2f}"
        )
    problems = [
        (x["label"], x["customers"], x["workers"], x["problems"]) for x in runs if x["problems"]
    ]
    reruns = sum(x["rerun_steps"] for x in runs)
    print(
        f"checks: {len(runs)} ranges, {sum(x['children'] for x in runs)} customer-months, "
        f"{sum(x['steps'] for x in runs)} steps, {reruns} run more than once; "
        + (
            "every customer-month completed exactly once, versions and backups without a gap, "
            "totals equal to the first run's"
            if not problems
            else f"PROBLEMS: {problems}"
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=25, help="the scale-out range's size")
    parser.add_argument("--sizes", default="25,50,100", help="ranges with 4 workers")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--cdrs", type=int, default=2000, help="CDRs per customer-month")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-pgbouncer", dest="pgbouncer", action="store_false")
    parser.add_argument("--_child", action="store_true")
    parser.add_argument("--_url", default="")
    args = parser.parse_args()
    args.sizes = [int(x) for x in str(args.sizes).split(",") if x]
    args.workers = [int(x) for x in str(args.workers).split(",") if x]
    if args._child:
        setup_django(args._url, "/tmp/telcost-bench-var-scaleout")
        print(json.dumps(measure(args)))
        return
    url = scratch_database_url("postgres", "scaleout")
    passed = [a for a in sys.argv[1:]]
    out = subprocess.run(
        [sys.executable, __file__, "--_child", "--_url", url, *passed],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    if out.returncode:
        raise SystemExit(1)
    report(args, json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
