"""Workflow 5 benchmark: export N CDRs as xlsx and csv, beside a plain xlsxwriter of the same rows.

    .venv/bin/python benchmarks/bench_exports.py [--cdrs 1000000] [--database sqlite|postgres]
    [--repeat 3]

The month is October 2026: it holds a change from summer to winter time, so the
local-time conversion takes both offsets. Most devices have a cost center and a
tenth of them move to another one mid-month, so the per-CDR cost center lookup
is part of what is measured. Each measurement runs in its own process so its peak
memory (max RSS) is its own; with --repeat each is run that many times and the
median is printed. The baseline is xlsxwriter (constant_memory) writing the same
rows from a Python list already in memory: the ratio shows our overhead.
"""

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal

from _harness import ROOT, scratch_database_url, setup_django

CYCLE = dt.date(2026, 10, 1)
DEVICES = 2000


def prepare(n: int) -> None:
    from django.db import connection

    from telcost.customers.models import CostCenter, CostCenterAssignment, Customer, Device
    from telcost.demo.generator import generate_cdrs

    customer = Customer.objects.create(name="export bench", kind="standard")
    Device.objects.bulk_create(
        [
            Device(msisdn=str(31600000000 + i), customer=customer, activated_on=dt.date(2026, 1, 1))
            for i in range(DEVICES)
        ]
    )
    devices = list(customer.devices.order_by("id"))
    centers = CostCenter.objects.bulk_create(
        [CostCenter(customer=customer, code=f"CC{i:02d}", name=f"Center {i}") for i in range(40)]
    )
    assignments = []
    for i, device in enumerate(devices):
        if i % 20 == 19:
            continue  # a few devices have no cost center at all: an empty cell
        assignments.append(
            CostCenterAssignment(
                device=device, cost_center=centers[i % 40], valid_from=dt.date(2026, 1, 1)
            )
        )
        if (
            i % 10 == 3
        ):  # a tenth move on 15 October: their CDRs take the center of their own local day
            assignments.append(
                CostCenterAssignment(
                    device=device,
                    cost_center=centers[(i + 1) % 40],
                    valid_from=dt.date(2026, 10, 15),
                )
            )
    CostCenterAssignment.objects.bulk_create(assignments)
    generate_cdrs(customer=customer, devices=devices, cycle_start=CYCLE, count=n)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE"
            )  # what autovacuum does soon after a bulk load; plans depend on it


def measure(what: str) -> dict:
    from django.contrib.auth import get_user_model

    from telcost.customers.models import Customer
    from telcost.exports.models import ExportJob
    from telcost.exports.reports import cdr_rows
    from telcost.exports.services import export_generate

    customer = Customer.objects.get(name="export bench")
    t0 = time.perf_counter()
    if what == "baseline":
        import xlsxwriter

        # The same rows, typed as a Python program would hand them to a writer: datetimes, Decimals,
        # ints, str.
        rows = [
            (
                dt.datetime.fromisoformat(r[0]),
                r[1],
                r[2],
                None if r[3] is None else Decimal(r[3]),
                *r[4:],
            )
            for r in cdr_rows(customer, CYCLE, for_xlsx=False)
        ]
        t0 = time.perf_counter()
        workbook = xlsxwriter.Workbook(
            "/tmp/telcost-bench-baseline.xlsx", {"constant_memory": True}
        )
        sheet = workbook.add_worksheet()
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
        workbook.close()
        count = len(rows)
    else:
        user, _ = get_user_model().objects.get_or_create(username="bench")
        export = ExportJob.objects.create(
            customer=customer, requested_by=user, cycle_start_date=CYCLE, kind="cdrs", format=what
        )
        count = export_generate(export=export)["rows"]
    elapsed = time.perf_counter() - t0
    return {
        "what": what,
        "seconds": round(elapsed, 2),
        "rows": count,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--only", default="csv,xlsx,baseline", help="comma-separated subset of csv,xlsx,baseline"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of the last run (same --cdrs)"
    )
    parser.add_argument("--_child", default="")
    parser.add_argument("--_url", default="")
    args = parser.parse_args()
    if args._child:
        setup_django(args._url, "/tmp/telcost-bench-var-exports")
        if args._child == "prepare":
            prepare(args.cdrs)
        else:
            print(json.dumps(measure(args._child)))
        return
    if args.reuse:
        url = (
            "sqlite:////tmp/telcost-bench-exports.sqlite3"
            if args.database == "sqlite"
            else "postgres://postgres@127.0.0.1:5432/telcost_bench_exports"
        )
    else:
        url = scratch_database_url(args.database, "exports")
    child = [sys.executable, __file__, "--_url", url, "--cdrs", str(args.cdrs), "--_child"]
    if not args.reuse:
        subprocess.run([*child, "prepare"], check=True, cwd=ROOT)
    print(
        f"# export benchmark: {args.cdrs:,} CDRs of {CYCLE:%Y-%m} on {args.database}; "
        f"median of {args.repeat} of time and peak memory (max RSS), each in its own process"
    )
    kinds = args.only.split(",")
    runs: dict[str, list[dict]] = {what: [] for what in kinds}
    for _ in range(args.repeat):
        for what in kinds:  # interleaved, so a burst of load on the machine hits every kind alike
            out = subprocess.run([*child, what], capture_output=True, text=True, cwd=ROOT)
            if out.returncode:
                print(out.stderr[-2000:])
                raise SystemExit(1)
            runs[what].append(json.loads(out.stdout.strip().splitlines()[-1]))
    results = {
        what: {
            "seconds": statistics.median(r["seconds"] for r in rs),
            "max_rss_mb": round(statistics.median(r["max_rss_mb"] for r in rs)),
            "all": [r["seconds"] for r in rs],
        }
        for what, rs in runs.items()
    }
    base = results.get("baseline")
    for what in kinds:
        r = results[what]
        line = f"{what:8s} {r['seconds']:6.1f} s, {r['max_rss_mb']:4d} MB peak (runs: {r['all']})"
        if base and what != "baseline":
            ratio = r["seconds"] / (base["seconds"] or 0.1)
            line += f" | ratio to plain xlsxwriter from a list {ratio:.2f}"
        print(line)


if __name__ == "__main__":
    main()
