"""Workflow 4 benchmark: import N CDRs through file_drop and through http_api (simulator on
loopback),
dedupe included, the re-sync of the same month (everything a duplicate), and for file_drop the
re-read of
the file after a change (one record added: 1,000,000 deduplicated against the stored ones).

    .venv/bin/python benchmarks/bench_sync.py [--cdrs 1000000] [--database postgres|sqlite]

Baselines measured in the same run: reading the same CSV with the csv module alone, and for
http_api fetching every page of the month from the simulator alone (the floor of a re-sync,
which must still ask the provider for each page to know it is unchanged). That fetch runs
before the import, so the simulator serves stored pages to the import as a real provider would.
"""

import argparse
import atexit
import csv
import datetime as dt
import json
import resource
import socket
import subprocess
import sys
import time

import httpx
from _harness import ROOT, scratch_database_url, setup_django

MONTH = dt.date(2026, 9, 1)


def write_csv(path: str, n: int) -> None:
    from telcost.core.cdr_format import CSV_COLUMNS
    from telcost.simulators.cdr_feed import feed_records

    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        step = 50_000
        for start in range(0, n, step):
            for record in feed_records(f"drop{start}", "2026-09", min(step, n - start)):
                record["external_id"] = f"{start}-{record['external_id']}"
                writer.writerow(record)


def start_simulator_process() -> str:
    with socket.socket() as probe:  # an ephemeral port, handed to the simulator's --port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "telcost.simulators.provider", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(proc.terminate)
    base_url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base_url}/_control")
            return base_url
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the provider simulator did not start")


def fetch_alone(base_url: str) -> float:
    """Every page of the month fetched one after another, nothing else: the provider's and the
    wire's time."""
    from telcost.integrations.http import send

    t0, page = time.perf_counter(), 1
    while page is not None:
        answer = send(
            "GET",
            f"{base_url}/cdrs",
            params={"month": f"{MONTH:%Y-%m}", "page": page},
            headers={"Authorization": "Bearer key-bench"},
            timeout=15,
        )
        page = json.loads(answer.content)["next_page"]
    return round(time.perf_counter() - t0, 1)


def run(kind: str, n: int, folder: str) -> dict:
    from telcost.core.cdr_format import CSV_COLUMNS
    from telcost.customers.models import Customer
    from telcost.syncs.models import SyncTask
    from telcost.syncs.profiles import sync_profile_create
    from telcost.syncs.services import sync_run

    customer = Customer.objects.create(name=f"bench {kind}")
    if kind == "file_drop":
        profile = sync_profile_create(
            customer=customer,
            name="drop",
            provider="file_drop",
            settings={"path": folder},
            credentials={},
        )
    else:
        # The provider runs in a process of its own, as a real one would: in this process its
        # record generation would compete with the import for the interpreter lock.
        base_url = start_simulator_process()
        httpx.post(
            f"{base_url}/_control", json={"records": n, "page_size": 5000}
        ).raise_for_status()
        profile = sync_profile_create(
            customer=customer,
            name="api",
            provider="http_api",
            settings={"base_url": base_url},
            credentials={"api_key": "key-bench"},
        )
        # Every page fetched once before the import: the baseline, and the simulator then serves the
        # pages it made as stored bytes, as a provider serves stored records. Making them (about 100
        # ms
        # of CPU per 5,000 records) is the stand-in's own cost, and on a 2-core machine it would
        # take
        # its CPU from the import being measured.
        fetch_alone(base_url)
        fetch_alone_s = fetch_alone(base_url)  # the stored pages, as the import gets them

    def timed_sync() -> tuple[float, dict]:
        task = SyncTask.objects.create(profile=profile, cycle_start=MONTH)
        t0 = time.perf_counter()
        counts = sync_run(task=task)
        return round(time.perf_counter() - t0, 1), counts

    first = timed_sync()
    again = timed_sync()  # the re-sync of the same month: nothing new
    result = {"kind": kind, "first": first, "again": again}
    if kind == "http_api":
        result["fetch_alone_s"] = fetch_alone_s
    if kind == "file_drop":
        # An unchanged file is skipped by its digest; a changed one (here one record added at the
        # end)
        # is read whole, and its 1,000,000 known records are deduplicated against the stored ones.
        from telcost.simulators.cdr_feed import feed_records

        extra = feed_records("drop-extra", "2026-09", 1)[0]
        with open(f"{folder}/cdrs.csv", "a") as f:
            f.write(",".join(str(extra[c]) for c in CSV_COLUMNS) + "\n")
        result["changed"] = timed_sync()
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--_child", default="")
    parser.add_argument("--_url", default="")
    args = parser.parse_args()
    folder = "/tmp/telcost-bench-drop"
    if args._child:
        setup_django(args._url, "/tmp/telcost-bench-var-sync")
        if args._child == "prepare":
            import pathlib

            pathlib.Path(folder).mkdir(exist_ok=True)
            for old in pathlib.Path(folder).glob("*.csv"):
                old.unlink()
            write_csv(f"{folder}/cdrs.csv", args.cdrs)
            t0 = time.perf_counter()
            with open(f"{folder}/cdrs.csv") as f:
                rows = sum(1 for _ in csv.reader(f))
            print(json.dumps({"csv_read_s": round(time.perf_counter() - t0, 2), "rows": rows - 1}))
        else:
            print(json.dumps(run(args._child, args.cdrs, folder)))
        return
    url = scratch_database_url(args.database, "sync")
    child = [sys.executable, __file__, "--_url", url, "--cdrs", str(args.cdrs), "--_child"]
    prep = json.loads(
        subprocess.run(
            [*child, "prepare"], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.splitlines()[-1]
    )
    print(
        f"# sync benchmark: {args.cdrs:,} CDRs on {args.database}; baseline: csv module alone "
        f"reads the file in {prep['csv_read_s']} s"
    )
    for kind in ("file_drop", "http_api"):
        out = subprocess.run([*child, kind], capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            print(out.stderr[-2000:])
            raise SystemExit(1)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        (first_s, first), (again_s, again) = r["first"], r["again"]
        changed = ""
        if "fetch_alone_s" in r:
            changed = f" | provider fetch alone {r['fetch_alone_s']:5.1f} s"
        if "changed" in r:
            changed_s, counts = r["changed"]
            changed = (
                f" | changed file re-read {changed_s:5.1f} s ({counts['imported']} new, "
                f"{counts['duplicates']:,} duplicates, ratio "
                f"{changed_s / max(prep['csv_read_s'], 0.01):.1f})"
            )
        print(
            f"{kind:9s} import {first_s:6.1f} s ({first['imported']:,} new, "
            f"{args.cdrs / max(first_s, 0.01):,.0f} rows/s, "
            f"ratio to csv read {first_s / max(prep['csv_read_s'], 0.01):.1f}) | re-sync "
            f"{again_s:5.1f} s "
            f"({again['imported']} new, {again['duplicates']:,} duplicates){changed} | peak "
            f"{r['max_rss_mb']} MB"
        )


if __name__ == "__main__":
    main()
