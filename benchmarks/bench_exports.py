"""Workflow 5 benchmark: export N CDRs as xlsx and csv, beside a plain xlsxwriter of the same rows.

    .venv/bin/python benchmarks/bench_exports.py [--cdrs 1000000] [--database sqlite|postgres]

Each measurement runs in its own process so its peak memory (max RSS) is its own.
"""

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time

from _harness import ROOT, scratch_database_url, setup_django

CYCLE = dt.date(2026, 9, 1)


def prepare(n: int) -> None:
    from telcost.customers.models import Customer, Device
    from telcost.demo.generator import generate_cdrs

    customer = Customer.objects.create(name="export bench", kind="standard")
    Device.objects.bulk_create([Device(msisdn=str(31600000000 + i), customer=customer, activated_on=dt.date(2026, 1, 1))
                                for i in range(2000)])
    generate_cdrs(customer=customer, devices=list(customer.devices.all()), cycle_start=CYCLE, count=n)


def measure(what: str) -> dict:
    from django.contrib.auth import get_user_model

    from telcost.customers.models import Customer
    from telcost.exports.models import ExportJob
    from telcost.exports.reports import CDR_COLUMNS, cdr_rows
    from telcost.exports.services import export_generate

    customer = Customer.objects.get(name="export bench")
    t0 = time.perf_counter()
    if what == "baseline":
        import xlsxwriter

        rows = list(cdr_rows(customer, CYCLE))  # a plain writer of rows already in a Python list
        t0 = time.perf_counter()
        workbook = xlsxwriter.Workbook("/tmp/telcost-bench-baseline.xlsx", {"constant_memory": True})
        sheet = workbook.add_worksheet()
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
        workbook.close()
        count = len(rows)
        _ = CDR_COLUMNS
    else:
        user, _ = get_user_model().objects.get_or_create(username="bench")
        export = ExportJob.objects.create(customer=customer, requested_by=user, cycle_start_date=CYCLE, kind="cdrs", format=what)
        count = export_generate(export=export)["rows"]
    elapsed = time.perf_counter() - t0
    return {"what": what, "seconds": round(elapsed, 1), "rows": count,
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
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
    url = scratch_database_url(args.database, "exports")
    child = [sys.executable, __file__, "--_url", url, "--cdrs", str(args.cdrs), "--_child"]
    subprocess.run([*child, "prepare"], check=True, cwd=ROOT)
    print(f"# export benchmark: {args.cdrs:,} CDRs on {args.database}; time and peak memory (max RSS) per process")
    results = {}
    for what in ("csv", "xlsx", "baseline"):
        out = subprocess.run([*child, what], capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            print(out.stderr[-2000:])
            raise SystemExit(1)
        results[what] = json.loads(out.stdout.strip().splitlines()[-1])
    base = results["baseline"]["seconds"] or 0.1
    for what in ("csv", "xlsx"):
        r = results[what]
        print(f"{what:5s} {r['seconds']:6.1f} s, {r['max_rss_mb']:4d} MB peak | plain xlsxwriter from a list "
              f"{base:.1f} s ({results['baseline']['max_rss_mb']} MB) | ratio {r['seconds'] / base:.2f}")


if __name__ == "__main__":
    main()
