"""Diagnostic steps of the jobs app itself: used by tests and benchmarks only.

Registered only when TELCOST_JOBS_DIAGNOSTIC_STEPS is on (the workers the tests and the
benchmarks start) or when a test imports this module: Probe writes to a path taken from the
job's parameters, which no production worker should do for anyone who can dispatch a job.

Jobs of them are of kind `probe`, whose parameters have no fixed shape; its reaction to a job's
end can log, fail, or kill its worker first (`_probe_ended`). `Noop` does nothing (it measures the
engine's own overhead). `Probe` can sleep,
fail transiently for its first attempts, fail permanently, and records each run
in a file, which is how the engine's retry and recovery are observed from
outside a worker process.
"""

import os
import signal
import time
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from telcost.jobs.errors import PermanentError, TransientError
from telcost.jobs.kinds import FreeParams, JobKind, register
from telcost.jobs.models import Job
from telcost.jobs.registry import step


def _probe_ended(job: Job, params: FreeParams) -> None:
    """The probe kind's reaction, seen from outside: `reaction_log` gets a line per run;
    `reaction_error` makes it raise; `reaction_kill_marker` kills the worker before it runs,
    once (the marker file says it was done), as a worker killed after the job's end committed."""
    values = params.values
    marker = values.get("reaction_kill_marker")
    if marker and not os.path.exists(marker):
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    if values.get("reaction_error"):
        raise RuntimeError(values["reaction_error"])
    if values.get("reaction_log"):
        with open(values["reaction_log"], "a") as f:
            f.write(f"reacted {job.pk} {job.status}\n")


PROBE_KIND = register(
    JobKind(name="probe", label=_("Probe"), params=FreeParams, on_ended=_probe_ended)
)


@step("Noop", label=_("Do nothing"), max_attempts=1)
def noop(ctx) -> dict:
    return {}


def _trace(path: str, ctx, what: str) -> None:
    """One line per start and end of an attempt, with its process and time: the chaos test finds
    out from them whether two attempts of a step ever ran at once."""
    with open(path, "a") as f:
        f.write(f"{ctx.step.pk} {ctx.attempt} {os.getpid()} {what} {time.time():.6f}\n")


@step("Probe", label=_("Probe"), max_attempts=4, backoff_base_s=0.05, backoff_max_s=0.2)
def probe(ctx) -> dict:
    trace = ctx.params.get("trace")
    if trace:
        _trace(trace, ctx, "start")
    try:
        return _probe(ctx)
    finally:  # however the attempt stops, unless its process is killed
        if trace:
            _trace(trace, ctx, "end")


def _probe(ctx) -> dict:
    params = ctx.params
    if params.get("log"):
        with open(params["log"], "a") as f:
            f.write(f"start {ctx.step.name}#{ctx.step.position} attempt {ctx.attempt}\n")
    for _beat in range(int(float(params.get("sleep_s", 0)) * 20)):
        time.sleep(0.05)
        ctx.raise_if_cancelled()
    if ctx.attempt <= int(params.get("transient_failures", 0)):
        raise TransientError(f"transient failure on attempt {ctx.attempt}")
    if params.get("permanent_error"):
        raise PermanentError(params["permanent_error"])
    if params.get("crash"):
        raise ValueError(params["crash"])
    if params.get("log"):
        with open(params["log"], "a") as f:
            f.write(f"done {ctx.step.name}#{ctx.step.position}\n")
    return {f"probe_{ctx.step.position}": "ok"}


def probe_log_lines(path: str) -> list[str]:
    p = Path(path)
    return p.read_text().splitlines() if p.exists() else []
