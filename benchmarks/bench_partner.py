"""Workflow 6 benchmark: a partner's range (customers × months × CDRs each) with 2 workers.

    .venv/bin/python benchmarks/bench_partner.py [--customers 20] [--months 12] [--cdrs 50000]
    [--database postgres]

Prints the whole range's time, the time per customer-month, and beside it one
customer-month recalculated alone through the same worker path (the baseline),
so the fan-out's overhead shows.
"""

import argparse
import datetime as dt
import json
import subprocess
import sys
import time

from _harness import ROOT, scratch_database_url, setup_django, wait_until, workers


def months(n: int) -> list[dt.date]:
    out, current = [], dt.date(2026, 9, 1)
    for _ in range(n):
        out.insert(0, current)
        current = (current - dt.timedelta(days=1)).replace(day=1)
    return out


def build(customers: int, n_months: int, n_cdrs: int):
    from telcost.customers.models import Customer, Device
    from telcost.customers.services import rate_plan_create
    from telcost.demo.generator import DEMO_RATE_PLAN, generate_cdrs

    # Rate plans have versions now: the service makes the plan and its first one.
    plan = rate_plan_create(definition={**DEMO_RATE_PLAN, "code": "bench", "name": "bench"})
    partner = Customer.objects.create(name="bench partner")
    for c in range(customers):
        customer = Customer.objects.create(
            name=f"kid {c:02d}", kind="rateplan", rate_plan=plan, partner=partner
        )
        Device.objects.bulk_create(
            [
                Device(
                    msisdn=str(31600000000 + c * 1000 + i),
                    customer=customer,
                    activated_on=dt.date(2025, 1, 1),
                )
                for i in range(100)
            ]
        )
        devices = list(customer.devices.all())
        for month in months(n_months):
            generate_cdrs(
                customer=customer, devices=devices, cycle_start=month, count=n_cdrs, prefix=f"k{c}"
            )
    return partner


def measure(customers: int, n_months: int, n_cdrs: int) -> dict:
    from telcost.jobs.models import Job
    from telcost.usage.recalculation.partner import partner_recalculation_dispatch
    from telcost.usage.recalculation.services import recalculation_dispatch

    t0 = time.perf_counter()
    partner = build(customers, n_months, n_cdrs)
    generated = time.perf_counter() - t0
    first, last = months(n_months)[0], months(n_months)[-1]
    with workers(2, interval=0.05):
        single_customer = partner.children.first()
        t0 = time.perf_counter()
        job = recalculation_dispatch(customer=single_customer, cycle_start=last)
        wait_until(
            lambda: Job.objects.get(pk=job.pk).status in ("completed", "failed"),
            timeout=600,
            interval=0.05,
        )
        single = time.perf_counter() - t0
        t0 = time.perf_counter()
        parent = partner_recalculation_dispatch(
            customer=partner, start_date=first, end_date=last, user=None
        ).job
        wait_until(
            lambda: Job.objects.get(pk=parent.pk).status not in Job.ACTIVE,
            timeout=3600,
            interval=0.2,
        )
        whole = time.perf_counter() - t0
    parent.refresh_from_db()
    total = parent.progress_total
    return {
        "generated_s": round(generated, 1),
        "whole_s": round(whole, 1),
        "children": total,
        "per_customer_month_s": round(whole / total, 2),
        "single_s": round(single, 2),
        "status": parent.status,
        "failed": parent.progress_failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--cdrs", type=int, default=50_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--_child", action="store_true")
    parser.add_argument("--_url", default="")
    args = parser.parse_args()
    if args._child:
        setup_django(args._url, "/tmp/telcost-bench-var-partner")
        print(json.dumps(measure(args.customers, args.months, args.cdrs)))
        return
    url = scratch_database_url(args.database, "partner")
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--_child",
            "--_url",
            url,
            "--customers",
            str(args.customers),
            "--months",
            str(args.months),
            "--cdrs",
            str(args.cdrs),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode:
        print(out.stderr[-3000:])
        raise SystemExit(1)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"# partner range: {args.customers} customers × {args.months} months × {args.cdrs:,} CDRs "
        f"on {args.database}, 2 workers"
    )
    print(
        f"whole range {r['whole_s']} s for {r['children']} customer-months ({r['status']}, "
        f"{r['failed']} failed) | "
        f"{r['per_customer_month_s']} s per customer-month vs {r['single_s']} s for one alone | "
        f"ratio {r['per_customer_month_s'] / max(r['single_s'], 0.01):.2f}"
    )


if __name__ == "__main__":
    main()
