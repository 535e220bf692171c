"""Cost control at 1,000,000 CDRs (issue 18): reconciliation and chargeback through the API.

    .venv/bin/python benchmarks/bench_cost_control.py [--cdrs 1000000] [--devices 2000]
    [--database postgres|sqlite|both] [--repeat 5]

A rate-plan customer's October 2026 (a change from summer to winter time) of N CDRs, built as a
user builds it on a scratch database: the CSV uploaded through the API and imported by a
`telcost worker`, then the month recalculated through the API by the worker (the real rating,
totals and fees). No ANALYZE by hand: the statistics are what the import leaves. The devices are
in 40 cost centers, every 20th in none and a tenth moving to another on 15 October, so
chargeback splits devices' CDRs between two centers by their local date.

Then, through gunicorn over HTTP with an API token, --repeat times each (first and median):
  GET /api/customers/{id}/reconciliation?month=2026-10
  GET /api/customers/{id}/cost-centers/totals?month=2026-10
beside a plain GROUP BY device, record_type, zone of the same rows in the same run (median of
3 around the requests), and the ratio of each median to it. Target: each ≤ 2 s on PostgreSQL.
"""

import argparse
import datetime as dt
import json
import shutil
import time
from pathlib import Path

from _harness import (
    DST_CYCLE,
    bench_customer,
    group_by_seconds,
    load_average,
    median,
    month_file,
    recalculate,
    run_child,
    scratch_database_url,
    setup_django,
    upload_cdrs,
    user_client,
    web_server,
    workers,
    workers_warm,
)

ENDPOINTS = {
    "reconciliation": "/api/customers/{id}/reconciliation",
    "chargeback": "/api/customers/{id}/cost-centers/totals",
}
TARGET_S = 2.0


def measure(cdrs: int, devices: int, repeat: int) -> dict:
    from django.contrib.auth import get_user_model

    customer, _ = bench_customer("cost control bench", kind="rateplan", devices=devices)
    staff = get_user_model().objects.create_user("cost-staff", is_staff=True)
    out: dict = {}
    with web_server() as base_url, user_client(base_url, staff) as client:
        with workers(1, interval=0.02):
            workers_warm()
            t0 = time.perf_counter()
            upload_cdrs(client, customer, month_file(cdrs, devices))
            out["import_s"] = round(time.perf_counter() - t0, 1)
            t0 = time.perf_counter()
            recalculate(client, customer, DST_CYCLE)
            out["recalculate_s"] = round(time.perf_counter() - t0, 1)
        out["load"] = load_average()
        groups = [group_by_seconds(customer, DST_CYCLE)]
        for name, path in ENDPOINTS.items():
            seconds = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                answer = client.get(path.format(id=customer.pk), params={"month": "2026-10"})
                seconds.append(time.perf_counter() - t0)
                assert answer.status_code == 200, answer.text[:300]
            body = answer.json()
            out[name] = {"first": seconds[0], "median": median(seconds), "all": seconds}
            if name == "reconciliation":
                out[name]["check"] = f"{len(body['devices'])} devices, " + (
                    f"{body['overcharged_records']:,} overcharged records"
                )
            else:
                moved = sum(place["devices"] for place in body["cost_centers"])
                out[name]["check"] = (
                    f"{len(body['cost_centers'])} cost centers, {moved} device shares, "
                    f"{body['unassigned']['devices']} unassigned"
                )
            groups.append(group_by_seconds(customer, DST_CYCLE))
        out["group_by"] = median(groups)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--_child", default="")
    parser.add_argument("--_url", default="")
    args = parser.parse_args()
    if args._child:
        var = Path(f"/tmp/telcost-bench-var-cost-control-{args._child}")
        shutil.rmtree(var, ignore_errors=True)
        setup_django(args._url, str(var))
        print(json.dumps(measure(args.cdrs, args.devices, args.repeat)))
        return
    print(
        f"# cost control benchmark: a rate-plan customer's month of {args.cdrs:,} CDRs over "
        f"{args.devices:,} devices, uploaded and recalculated through the API; each endpoint "
        f"{args.repeat} times over HTTP ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)"
    )
    for database in ["sqlite", "postgres"] if args.database == "both" else [args.database]:
        url = scratch_database_url(database, "cost_control")
        r = run_child(
            [
                __file__,
                *("--_child", database, "--_url", url, "--cdrs", str(args.cdrs)),
                *("--devices", str(args.devices), "--repeat", str(args.repeat)),
            ]
        )
        print(
            f"{database}: load average {r['load']}; month built in {r['import_s']} s (import) "
            f"+ {r['recalculate_s']} s (recalculation); plain GROUP BY {r['group_by']:.3f} s"
        )
        for name in ENDPOINTS:
            e = r[name]
            print(
                f"  {name:14s} first {e['first']:5.2f} s, median {e['median']:5.2f} s "
                f"(runs {[round(s, 2) for s in e['all']]}) | ratio to GROUP BY "
                f"{e['median'] / r['group_by']:5.1f} | {e['check']}"
                + (
                    f" | target {TARGET_S:.0f} s {'met' if e['median'] <= TARGET_S else 'MISSED'}"
                    if database == "postgres"
                    else ""
                )
            )


if __name__ == "__main__":
    main()
