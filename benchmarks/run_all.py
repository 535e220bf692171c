"""Every benchmark in turn with its README arguments (`make bench`); each prints its own figures.

Takes about half an hour on the 2-core machine. They run one after another, never
side by side: on a shared machine their figures would measure each other.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

RUNS = [
    ["bench_jobs.py", "--jobs", "300"],
    ["bench_recalculation.py", "--database", "both"],
    ["bench_sync.py", "--cdrs", "1000000"],
    ["bench_flow.py", "--cdrs", "1000000", "--database", "both"],
    ["bench_cost_control.py", "--cdrs", "1000000"],
    ["bench_partner.py"],
]


def main() -> int:
    failed = []
    for script, *args in RUNS:
        print(f"## {script} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script), *args], cwd=HERE.parent).returncode:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
