"""Workflow 1 benchmark: one customer-month of N CDRs over D devices, rated and totalled.

    .venv/bin/python benchmarks/bench_recalculation.py [--database sqlite|postgres|both] [--cdrs 1000000] [--devices 2000] [--kinds rateplan,standard]

Prints, for a rate-plan and a standard customer, the median of 3 runs of the
whole chain (as the worker runs it: rate → totals → insights → status → backup),
beside a plain GROUP BY device, record_type, zone over the same rows measured in
the same run, and the ratio between the two.
"""

import argparse
import datetime as dt
import json
import subprocess
import sys
import time

from _harness import ROOT, median, scratch_database_url, setup_django

CYCLE = dt.date(2026, 9, 1)


def build(kind: str, n_cdrs: int, n_devices: int):
    from django.db import connection

    from telcost.customers.models import Customer, Device, RatePlan
    from telcost.demo.generator import DEMO_RATE_PLAN, generate_cdrs

    plan, _ = RatePlan.objects.get_or_create(code="bench", defaults={"name": "bench", "monthly_fee": "12.50", "definition": {**DEMO_RATE_PLAN, "code": "bench"}})
    customer = Customer.objects.create(name=f"bench {kind}", kind=kind, rate_plan=plan if kind == "rateplan" else None)
    base = 31600000000 if kind == "rateplan" else 31700000000
    Device.objects.bulk_create(
        [Device(msisdn=str(base + i), customer=customer, activated_on=dt.date(2026, 1, 1)) for i in range(n_devices)]
    )
    devices = list(Device.objects.filter(customer=customer))
    t0 = time.perf_counter()
    generate_cdrs(customer=customer, devices=devices, cycle_start=CYCLE, count=n_cdrs, seed=1, prefix=kind)
    if connection.vendor == "sqlite":
        connection.cursor().execute("ANALYZE")
    else:
        connection.cursor().execute("ANALYZE usage_cdr")
    return customer, time.perf_counter() - t0


def chain_once(customer, steps: dict | None = None) -> float:
    """The chain's services in the worker's order; `steps` collects each one's seconds."""
    from telcost.usage import services

    steps = {} if steps is None else steps
    t0 = time.perf_counter()

    def timed(name, call):
        start = time.perf_counter()
        result = call()
        steps[name] = round(time.perf_counter() - start, 2)
        return result

    if customer.is_rateplan:
        timed("rate", lambda: services.cdrs_rate(customer=customer, cycle_start=CYCLE))
    result = timed("totals", lambda: services.totals_calculate(customer=customer, cycle_start=CYCLE))
    timed("insights", lambda: services.insights_calculate(customer=customer, cycle_start=CYCLE))
    timed("status", lambda: services.customer_status_save(customer=customer, version=result["version"]))
    timed("backup", lambda: services.totals_backup_create(customer=customer, cycle_start=CYCLE,
                                                          version=result["version"], reason="bench"))
    return time.perf_counter() - t0


def group_by_once(customer) -> float:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT device_id, record_type, zone, COUNT(*), SUM(duration_s), SUM(volume_kb), SUM(provider_cost) "
            "FROM usage_cdr WHERE customer_id = %s AND cycle_start = %s GROUP BY device_id, record_type, zone",
            [customer.pk, CYCLE],
        )
        cursor.fetchall()
    return time.perf_counter() - t0


def measure(database: str, n_cdrs: int, n_devices: int, kinds: list[str]) -> dict:
    out = {"database": database}
    for kind in kinds:
        customer, generation = build(kind, n_cdrs, n_devices)
        # The first run prices every CDR (all costs change); later runs find most costs unchanged,
        # which is the usual recalculation after a few new records.
        first_steps, again_steps = {}, {}
        first = chain_once(customer, first_steps)
        again = [chain_once(customer, again_steps) for _ in range(3)]
        groups = [group_by_once(customer) for _ in range(3)]
        out[kind] = {"generate_s": round(generation, 1), "first_s": round(first, 2), "chain_s": round(median(again), 2),
                     "group_by_s": round(median(groups), 3), "ratio": round(first / median(groups), 1),
                     "first_steps": first_steps, "again_steps": again_steps}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--kinds", default="rateplan,standard", help="which customers: rateplan,standard")
    parser.add_argument("--_child", default="")
    args = parser.parse_args()
    if args._child:
        setup_django(scratch_database_url(args._child, "recalc"), f"/tmp/telcost-bench-var-{args._child}")
        print(json.dumps(measure(args._child, args.cdrs, args.devices, args.kinds.split(","))))
        return
    print(f"# recalculation benchmark: one customer-month, {args.cdrs:,} CDRs over {args.devices:,} devices; first run, then the median of 3 more")
    for database in (["sqlite", "postgres"] if args.database == "both" else [args.database]):
        run = subprocess.run([sys.executable, __file__, "--_child", database, "--cdrs", str(args.cdrs),
                              "--devices", str(args.devices), "--kinds", args.kinds], capture_output=True, text=True, cwd=ROOT)
        if run.returncode:
            print(run.stderr[-3000:])
            raise SystemExit(run.returncode)
        r = json.loads(run.stdout.strip().splitlines()[-1])
        for kind in args.kinds.split(","):
            k = r[kind]
            print(f"{database:9s} {kind:9s} whole chain, first {k['first_s']:6.2f} s, again {k['chain_s']:6.2f} s "
                  f"| plain GROUP BY {k['group_by_s']:6.3f} s | ratio first/GROUP BY {k['ratio']:5.1f} "
                  f"| (data generated in {k['generate_s']} s)")
            print(f"{'':19s} steps, first {k['first_steps']}; last of again {k['again_steps']}")


if __name__ == "__main__":
    main()
