"""Probe and Noop are for tests and benchmarks: a production worker does not know them.

Probe appends to a file named by the job's parameters; in a production worker any job
could write anywhere the worker may.
"""

import subprocess
import sys

import pytest

from tests.conftest import ROOT

LIST_STEPS = "from telcost.jobs.registry import registered_steps; print(sorted(registered_steps()))"


def registered_in_a_worker_process(env: dict) -> str:
    command = [sys.executable, "-m", "telcost.manage", "shell", "-c", LIST_STEPS]
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


@pytest.mark.slow
def test_a_production_process_has_no_diagnostic_steps_and_a_test_worker_has(subprocess_env):
    production = {k: v for k, v in subprocess_env.items() if k != "TELCOST_JOBS_DIAGNOSTIC_STEPS"}
    steps = registered_in_a_worker_process(production)
    assert "'CalculateTotalsCommand'" in steps
    assert "'Probe'" not in steps and "'Noop'" not in steps
    # The workers the tests start (subprocess_env) have them.
    steps = registered_in_a_worker_process(subprocess_env)
    assert "'Probe'" in steps and "'Noop'" in steps
