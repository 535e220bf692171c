"""The API against its own OpenAPI schema: schemathesis fuzzes every operation of a live server.

A real server process (gunicorn, the production server) on a free port, on the test database
with a customer that has devices, CDRs, two versions of totals, an export and a sync task; then
schemathesis (its CLI, pinned in pyproject's test extras) sends about 25 generated requests per
operation, valid and invalid, with the token of each role: staff, a manager, a viewer, a user of
another customer, and no token. It asserts what issue 14.2 asks: no 500, and every answer's
status, content type and body as the schema declares them. The run is bounded (examples per
operation, a fixed seed: TELCOST_FUZZ_SEED to try another) and takes about a minute per database.
"""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.factories import CustomerFactory, DeviceFactory, MembershipFactory, UserFactory
from tests.usage.helpers import add_cdr, plan_with

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EXAMPLES_PER_OPERATION = 25
SEED = int(os.environ.get("TELCOST_FUZZ_SEED", "20261201"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
MONTH = dt.date(2026, 9, 1)  # the month of add_cdr's CDRs


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fuzz_tokens(rated_customer, drain_jobs, tmp_path) -> dict[str, str]:
    """A customer with data every read can find, and a token per role."""
    from telcost.accounts.models import ApiToken
    from telcost.exports.services import export_request
    from telcost.syncs.models import SyncProfile
    from telcost.syncs.services import sync_manual_dispatch
    from telcost.usage.recalculation.services import recalculation_dispatch

    partner = CustomerFactory(name="Fuzz partner")
    customer = rated_customer(plan_with(), name="Fuzz BV", partner=partner)
    CustomerFactory(name="Someone else BV")
    device = DeviceFactory(customer=customer, activated_on=dt.date(2026, 1, 1))
    add_cdr(customer, device, duration_s=90)
    users = {
        "staff": UserFactory(username="fuzz-staff", is_staff=True),
        "manager": UserFactory(username="fuzz-manager"),
        "viewer": UserFactory(username="fuzz-viewer"),
        "outsider": UserFactory(username="fuzz-outsider"),
    }
    UserFactory(username="fuzz-target")  # for PATCH /api/users/{id} to change (the dictionary)
    MembershipFactory(user=users["manager"], customer=partner, role="manager")
    MembershipFactory(user=users["viewer"], customer=customer, role="viewer")
    for _ in range(2):  # two versions of the totals, for versions and diff
        recalculation_dispatch(customer=customer, cycle_start=MONTH, user=users["manager"])
        drain_jobs()
    export_request(
        customer=customer, user=users["manager"], cycle_start_date=MONTH, kind="totals", fmt="csv"
    )
    drops = tmp_path / "drops"
    drops.mkdir()
    profile = SyncProfile.objects.create(
        customer=customer, name="drops", provider="file_drop", settings={"path": str(drops)}
    )
    sync_manual_dispatch(profile=profile, cycle_start=MONTH, user=users["manager"])
    drain_jobs()
    return {role: ApiToken.issue(user)[1] for role, user in users.items()}


def _dictionaries_config(path: Path) -> Path:
    """A schemathesis.toml binding parameters to dictionaries, part of the time: ids and months
    of objects that exist (random ids are nearly always a 404 that never reaches the code behind
    it), and inputs that once were 500s (NUL characters, '³' as an id, months at the ends of the
    calendar), which random generation finds too rarely in 25 examples."""
    from django.contrib.auth import get_user_model

    from telcost.customers.models import Customer, RatePlan
    from telcost.exports.models import ExportJob
    from telcost.jobs.models import Job
    from telcost.syncs.models import SyncProfile, SyncTask

    def ids(model) -> list:
        return list(model.objects.values_list("pk", flat=True))

    dictionaries = {
        "customers": [*ids(Customer), "³"],
        "jobs": ids(Job),
        "exports": ids(ExportJob),
        "profiles": ids(SyncProfile),
        "tasks": ids(SyncTask),
        "users": list(
            get_user_model().objects.filter(username="fuzz-target").values_list("pk", flat=True)
        ),
        "months": [f"{MONTH:%Y-%m}", "9999-12", "0001-01", "2030-01", "2026-09\u0000"],
        "dates": [
            f"{MONTH:%Y-%m-%d}",
            f"{MONTH:%Y-%m}",
            "9999-12-01",
            "0001-01-01",
            "2030-01-31",
            "9999-12-31T23:59:00+00:00",
            "0001-01-01T00:00:00+14:00",
            "2026-09-01\u0000",
        ],
        "text": ["\u0000", "fuzz-staff\u0000", *RatePlan.objects.values_list("code", flat=True)],
    }
    bindings = {
        "customers": ["path.customer_id", "body.customer_id", "body.partner_id"],
        "jobs": ["path.job_id"],
        "exports": ["path.export_id"],
        "profiles": ["path.profile_id", "body.sync_profile_id"],
        "tasks": ["path.task_id"],
        "users": ["path.user_id"],
        "months": ["query.month"],
        "dates": [
            "path.date",
            "body.date",
            "body.cycle_start_date",
            "body.start_date",
            "body.end_date",
        ],
        "text": [
            "path.code",
            "body.username",
            "body.password",
            "body.name",
            "body.rate_plan",
            "body.external_ref",
            "body.schedule",
            "body.email",
        ],
    }
    lines = []
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for name, keys in bindings.items():
        lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.4 }}' for key in keys]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def live_api(subprocess_env, tmp_path):
    """The app under gunicorn on a free port; yields its base URL and the server's log path."""
    port = _free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "telcost.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
                # Request lines over gunicorn's 4 KB are its 414 page, before the app: the fuzzer's
                # long query strings are for the app to answer.
                "--limit-request-line",
                "0",
            ],
            env=subprocess_env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base, log_path
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_every_operation_answers_as_its_schema_says_for_every_role(fuzz_tokens, live_api, tmp_path):
    base, server_log = live_api
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is installed with the test extras (pip install -e '.[test]')"
    # Requests take turns among the roles (tests/fuzz_auth.py); "nobody" sends no token.
    roles = {**fuzz_tokens, "a wrong token": "not-a-token", "nobody": ""}
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz_auth",
        "PYTHONPATH": str(ROOT),
        "TELCOST_FUZZ_TOKENS": json.dumps(roles),
    }
    config = _dictionaries_config(tmp_path / "schemathesis.toml")
    command = [
        st,
        "--config-file",
        str(config),
        "run",
        f"{base}/api/openapi.json",
        "--url",
        base,
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        "--output-truncate",
        "false",
    ]
    started = time.monotonic()
    # In tmp_path: schemathesis keeps a cache of crashes to replay in its working directory.
    run = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900
    )
    print(f"schemathesis: exit {run.returncode} in {time.monotonic() - started:.0f}s")
    print(run.stdout[-4000:])
    server_errors = [
        line for line in server_log.read_text().splitlines() if "Internal Server Error" in line
    ]
    assert run.returncode == 0 and not server_errors, (
        f"{run.stdout[-30000:]}\n{run.stderr[-3000:]}\nserver: {server_errors[:20]}"
    )
