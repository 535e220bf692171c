"""The user's flow at 1,000,000 CDRs (issue 19): upload, recalculate, look, export; no ANALYZE.

    .venv/bin/python benchmarks/bench_flow.py [--cdrs 1000000] [--devices 2000]
    [--database sqlite|postgres|both] [--repeat 3] [--kind rateplan|standard]

Everything goes through real HTTP to a gunicorn process and real `telcost worker` processes
on a scratch database, as a manager works:

  import       POST /api/customers/{id}/cdr-imports (the month's CSV, multipart), the cdr_import
               job run by a worker, polled on GET /api/jobs/{id} until completed. Includes the
               upload and the ANALYZE the import itself runs after a big import.
  recalculate  POST /usage/recalculate_total_usage/{month}/{id}, the chain run by the worker,
               polled until completed.
  usage page   right after: the per-device table fragment of the usage page (the htmx request
               of its table: HX-Target device-table), its first load in the web process and
               the median of 3 more.
  xlsx, csv    POST /api/exports (kind cdrs), the export job, polled on GET /api/exports/{id}
               until completed, then GET /download/export/{id} read to its end.

The month is October 2026 (a change from summer to winter time); the customer's 2,000 devices
exist before the upload, in 40 cost centers, every 20th in none and a tenth moving to another on
15 October (the export's per-CDR cost-center lookup). Each repeat is a fresh database: the
month is new every time, as after a real upload. This script never runs ANALYZE: the planner's
statistics are whatever the application keeps up to date (autovacuum may be off, as on the
development machine). Each phase starts a fresh worker, so its peak memory is the phase's.

Baselines, measured in the same repeat right after the phase (so they never warm its cache):
  import       the csv module alone reading the same file
  recalculate  a plain GROUP BY device, record_type, zone of the month's CDRs
  usage page   the same plain GROUP BY (what per-device totals cost computed from the CDRs)
  xlsx, csv    a plain dump of the month's CDRs with their msisdn in time order to a csv file
               (PostgreSQL: COPY with default settings; SQLite: cursor into the csv module)
The medians of --repeat repeats are printed, and the median of each repeat's ratio.
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
    csv_read_seconds,
    group_by_seconds,
    load_average,
    median,
    month_file,
    peak_rss_mb,
    peak_rss_reset,
    plain_dump_seconds,
    recalculate,
    run_child,
    scratch_database_url,
    setup_django,
    step_seconds,
    upload_cdrs,
    user_client,
    wait_until,
    web_server,
    workers,
    workers_warm,
)

TARGETS_PG = {"import": 5.0, "recalculate": 2.5, "xlsx": 4.0, "csv": 1.5}
PHASES = ("import", "recalculate", "usage_page", "xlsx", "csv")


def flow(cdrs: int, devices: int, kind: str) -> dict:
    """One repeat on a fresh database: the whole flow, each phase beside its baseline."""
    from django.contrib.auth import get_user_model

    month = f"{DST_CYCLE:%Y-%m}"
    path = month_file(cdrs, devices)
    customer, _ = bench_customer("flow bench", kind=kind, devices=devices)
    staff = get_user_model().objects.create_user("flow-staff", is_staff=True)
    out: dict = {"load": load_average()}
    with (
        web_server() as base_url,
        user_client(base_url, staff) as client,
        workers(1, interval=0.02) as procs,
    ):
        workers_warm()
        # Import: the upload as a manager makes it, the job its worker runs.
        peak_rss_reset(procs[0])
        t0 = time.perf_counter()
        job = upload_cdrs(client, customer, path)
        out["import"] = time.perf_counter() - t0
        out["import_rss_mb"] = peak_rss_mb(procs[0])
        out["import_steps"] = step_seconds(job["id"])
        out["import_baseline"] = csv_read_seconds(path)

        # Recalculation: the API call, the chain run by the worker.
        peak_rss_reset(procs[0])
        t0 = time.perf_counter()
        job = recalculate(client, customer, DST_CYCLE)
        out["recalculate"] = time.perf_counter() - t0
        out["recalculate_rss_mb"] = peak_rss_mb(procs[0])
        out["recalculate_steps"] = step_seconds(job["id"])

        # The usage page right after: its per-device table, as the page's htmx asks for it.
        t0 = time.perf_counter()
        page = client.get(
            f"/customers/{customer.pk}/usage/",
            params={"month": month, "sort": "-total_cost"},
            headers={"HX-Request": "true", "HX-Target": "device-table"},
        )
        out["usage_page"] = time.perf_counter() - t0
        assert page.status_code == 200 and b"<table" in page.content, page.text[:300]
        again = []
        for _ in range(3):
            t0 = time.perf_counter()
            client.get(
                f"/customers/{customer.pk}/usage/",
                params={"month": month, "sort": "-total_cost"},
                headers={"HX-Request": "true", "HX-Target": "device-table"},
            )
            again.append(time.perf_counter() - t0)
        out["usage_page_again"] = median(again)
        out["recalculate_baseline"] = median(
            [group_by_seconds(customer, DST_CYCLE) for _ in range(3)]
        )
        out["usage_page_baseline"] = out["recalculate_baseline"]

        for fmt in ("xlsx", "csv"):
            peak_rss_reset(procs[0])
            t0 = time.perf_counter()
            answer = client.post(
                "/api/exports",
                json={
                    "customer_id": customer.pk,
                    "cycle_start_date": DST_CYCLE.isoformat(),
                    "kind": "cdrs",
                    "format": fmt,
                },
            )
            assert answer.status_code == 202, answer.text[:300]
            export = answer.json()
            status: dict = {}

            def ready(export_id: int = export["export_id"]) -> bool:
                nonlocal status
                status = client.get(f"/api/exports/{export_id}").json()
                if status["status"] == "failed":
                    raise RuntimeError(f"export failed: {status}")
                return status["status"] == "completed"

            wait_until(ready, timeout=900, interval=0.02)
            size = 0
            with client.stream("GET", export["download_url"]) as download:
                assert download.status_code == 200, download.read()[:300]
                for chunk in download.iter_bytes(1 << 20):
                    size += len(chunk)
            out[fmt] = time.perf_counter() - t0
            out[f"{fmt}_rss_mb"] = peak_rss_mb(procs[0])
            assert status["rows"] == cdrs, status
            out[f"{fmt}_steps"] = step_seconds(export["job_id"])
            out[f"{fmt}_mb"] = round(size / 2**20, 1)
            out[f"{fmt}_baseline"] = plain_dump_seconds(
                customer, DST_CYCLE, Path("/tmp/telcost-bench-flow-dump.csv")
            )
    return out


BASELINES = {
    "import": "csv module reads the file",
    "recalculate": "plain GROUP BY",
    "usage_page": "plain GROUP BY",
    "xlsx": "plain dump",
    "csv": "plain dump",
}


def report(database: str, runs: list[dict]) -> None:
    print(f"{database}: load average at each repeat's start: {[r['load'] for r in runs]}")
    for phase in PHASES:
        seconds = [r[phase] for r in runs]
        base = median([r[f"{phase}_baseline"] for r in runs])
        ratio = median([r[phase] / r[f"{phase}_baseline"] for r in runs])
        target = TARGETS_PG.get(phase)
        if target and database == "sqlite":
            target *= 2
        line = (
            f"  {phase:11s} {median(seconds):6.2f} s (runs {[round(s, 2) for s in seconds]})"
            f" | {BASELINES[phase]} {base:6.3f} s | ratio {ratio:6.1f}"
        )
        if target:
            line += f" | target {target:.1f} s {'met' if median(seconds) <= target else 'MISSED'}"
        if phase == "usage_page":
            line += f" | loaded again {median([r['usage_page_again'] for r in runs]):.2f} s"
        if f"{phase}_rss_mb" in runs[-1]:
            line += f" | worker peak {median([r[f'{phase}_rss_mb'] for r in runs]):.0f} MB"
        print(line)
        if f"{phase}_steps" in runs[-1]:
            print(f"  {'':11s} steps of the last repeat: {runs[-1][f'{phase}_steps']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kind", choices=["rateplan", "standard"], default="rateplan")
    parser.add_argument("--_child", default="")
    parser.add_argument("--_url", default="")
    args = parser.parse_args()
    if args._child:
        var = Path(f"/tmp/telcost-bench-var-flow-{args._child}")
        shutil.rmtree(var, ignore_errors=True)
        setup_django(args._url, str(var))
        month_file(args.cdrs, args.devices)
        print(json.dumps(flow(args.cdrs, args.devices, args.kind)))
        return
    print(
        f"# flow benchmark: a {args.kind} customer's month of {args.cdrs:,} CDRs over "
        f"{args.devices:,} devices, uploaded, recalculated, looked at and exported through "
        f"gunicorn and `telcost worker`; median of {args.repeat} repeats, each on a fresh "
        f"database, no ANALYZE by hand ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)"
    )
    for database in ["sqlite", "postgres"] if args.database == "both" else [args.database]:
        runs = []
        for _ in range(args.repeat):
            url = scratch_database_url(database, "flow")
            runs.append(
                run_child(
                    [
                        __file__,
                        "--_child",
                        database,
                        "--_url",
                        url,
                        "--cdrs",
                        str(args.cdrs),
                        "--devices",
                        str(args.devices),
                        "--kind",
                        args.kind,
                    ]
                )
            )
        report(database, runs)


if __name__ == "__main__":
    main()
