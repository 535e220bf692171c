"""Rate-plan simulation benchmark: one calculated customer-month of N CDRs over D devices, priced
by P rate plans through the real job and worker.

    .venv/bin/python benchmarks/bench_simulation.py [--cdrs 1000000] [--devices 2000] [--plans 5]

PostgreSQL only (a scratch database, telcost_bench_simulation). A rate-plan customer's month is
generated and calculated (rated and totalled, not measured); then the simulation is requested as
the API takes it (POST /api/customers/{id}/plan-simulations with the P plans), a real worker
process runs its job, and the time is taken from the request until the job's result is stored.
First once, then the median of 3 more. Beside it, a plain GROUP BY device over the same rows,
measured in the same run, and the ratio between the two. Target: at most 10 s for 1M CDRs and 5
plans.
"""

import argparse
import copy
import datetime as dt
import json
import time

from _harness import (
    median,
    run_child,
    scratch_database_url,
    setup_django,
    wait_until,
    workers,
)

CYCLE = dt.date(2026, 9, 1)


def _plans(count: int) -> list[dict]:
    """SPEC's plan and variants of it: other fees, increments, bundles and prices."""
    from telcost.demo.generator import DEMO_RATE_PLAN

    plans = []
    for n in range(count):
        plan = copy.deepcopy(DEMO_RATE_PLAN)
        plan["code"], plan["name"] = f"bench-{n}", f"Bench {n}"
        plan["monthly_fee"] = f"{8 + 2 * n}.50"
        plan["voice"]["initial_increment_s"] = (60, 30, 1, 60, 10)[n % 5]
        plan["data"]["increment_kb"] = (100, 1, 10, 1024, 50)[n % 5]
        plan["bundle"] = {
            "voice_minutes": 100 * n,
            "sms": 50 * n,
            "data_mb": 1024 * n,
            "zones": ["national", "eu"] if n % 2 == 0 else ["national"],
        }
        plan["sms"]["per_message"]["national"] = f"0.0{5 + n % 5}"
        plans.append(plan)
    return plans


def build(n_cdrs: int, n_devices: int, n_plans: int):
    from django.db import connection

    from telcost.customers.models import Customer, Device
    from telcost.customers.services import rate_plan_create
    from telcost.demo.generator import generate_cdrs
    from telcost.usage.billing.rating import cdrs_rate
    from telcost.usage.billing.totals import totals_calculate

    plans = [rate_plan_create(definition=document) for document in _plans(n_plans)]
    customer = Customer.objects.create(name="bench simulation", kind="rateplan", rate_plan=plans[0])
    Device.objects.bulk_create(
        [
            Device(msisdn=str(31600000000 + i), customer=customer, activated_on=dt.date(2026, 1, 1))
            for i in range(n_devices)
        ]
    )
    devices = list(Device.objects.filter(customer=customer))
    t0 = time.perf_counter()
    generate_cdrs(customer=customer, devices=devices, cycle_start=CYCLE, count=n_cdrs, seed=1)
    connection.cursor().execute("ANALYZE usage_cdr")
    generation = time.perf_counter() - t0
    t0 = time.perf_counter()
    cdrs_rate(customer=customer, cycle_start=CYCLE)
    totals_calculate(customer=customer, cycle_start=CYCLE)
    return customer, [plan.code for plan in plans], generation, time.perf_counter() - t0


def simulate_once(client, customer, codes: list[str]) -> tuple[float, float, dict]:
    """(seconds from the request to the stored result, seconds of the step, the result)."""
    from telcost.jobs.models import Job, Step

    t0 = time.perf_counter()
    response = client.post(
        f"/api/customers/{customer.pk}/plan-simulations",
        {"month": f"{CYCLE:%Y-%m}", "rate_plans": codes},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content[:300]
    job_id = response.json()["job_id"]

    def finished() -> bool:
        status = Job.objects.filter(pk=job_id).values_list("status", flat=True).get()
        if status in ("failed", "cancelled"):
            raise RuntimeError(f"simulation job {job_id}: {Job.objects.get(pk=job_id).error}")
        return status == "completed"

    wait_until(finished, timeout=600, interval=0.02)
    elapsed = time.perf_counter() - t0
    step = Step.objects.get(job_id=job_id)
    return (
        elapsed,
        (step.finished_at - step.started_at).total_seconds(),
        Job.objects.get(pk=job_id).result,
    )


def group_by_once(customer) -> float:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT device_id, COUNT(*), SUM(duration_s), SUM(volume_kb), SUM(provider_cost) "
            "FROM usage_cdr WHERE customer_id = %s AND cycle_start = %s GROUP BY device_id",
            [customer.pk, CYCLE],
        )
        cursor.fetchall()
    return time.perf_counter() - t0


def measure(n_cdrs: int, n_devices: int, n_plans: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.create_user("bench-staff", is_staff=True))
    customer, codes, generation, calculation = build(n_cdrs, n_devices, n_plans)
    with workers(1, interval=0.02):
        first, first_step, result = simulate_once(client, customer, codes)
        again = [simulate_once(client, customer, codes) for _ in range(3)]
    groups = [group_by_once(customer) for _ in range(3)]
    own = next(plan for plan in result["plans"] if plan["code"] == codes[0])
    # The customer's own plan priced by the simulation is its calculated total, to the cent.
    assert own["total"] == result["current_total"], (own, result["current_total"])
    assert len(result["devices"]) == n_devices and all(p["error"] is None for p in result["plans"])
    return {
        "generate_s": round(generation, 1),
        "calculate_s": round(calculation, 1),
        "first_s": round(first, 2),
        "first_step_s": round(first_step, 2),
        "again_s": round(median([a[0] for a in again]), 2),
        "again_step_s": round(median([a[1] for a in again]), 2),
        "group_by_s": round(median(groups), 3),
        "ratio": round(median([a[0] for a in again]) / median(groups), 1),
        "best": [result["best_plan"], result["best_total"], result["current_total"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--plans", type=int, default=5)
    parser.add_argument("--_child", action="store_true")
    args = parser.parse_args()
    if args._child:
        setup_django(scratch_database_url("postgres", "simulation"), "/tmp/telcost-bench-var-sim")
        print(json.dumps(measure(args.cdrs, args.devices, args.plans)))
        return
    print(
        f"# simulation benchmark (postgres): one calculated month, {args.cdrs:,} CDRs over "
        f"{args.devices:,} devices, {args.plans} plans; request to stored result through the job "
        "and 1 worker; first run, then the median of 3 more"
    )
    r = run_child(
        [
            __file__,
            "--_child",
            "--cdrs",
            str(args.cdrs),
            "--devices",
            str(args.devices),
            "--plans",
            str(args.plans),
        ]
    )
    print(
        f"postgres  simulation first {r['first_s']:6.2f} s (step {r['first_step_s']} s), median "
        f"of 3 more {r['again_s']:6.2f} s (step {r['again_step_s']} s) | plain GROUP BY "
        f"{r['group_by_s']:6.3f} s | ratio simulation/GROUP BY {r['ratio']:5.1f} "
        f"| (generated in {r['generate_s']} s, calculated in {r['calculate_s']} s)"
    )
    print(f"{'':10s}best plan, its total, the calculated total: {r['best']}")


if __name__ == "__main__":
    main()
