"""`make test`: the whole suite once on SQLite and once on PostgreSQL.

Under CI=true a PostgreSQL that cannot be reached is a failure, not a skip.
Extra arguments go to pytest (e.g. `make test ARGS="-k jobs"` via PYTEST_ARGS).
"""

import os
import shlex
import subprocess
import sys

PG_URL = os.environ.get("TELCOST_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/telcost")


def postgres_reachable(url: str) -> tuple[bool, str]:
    import psycopg

    conninfo = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(
            conninfo.replace("postgres://", "postgresql://", 1), connect_timeout=5
        ):
            return True, ""
    except Exception as exc:  # any failure to connect means "not reachable"
        return False, str(exc)


def run(label: str, env: dict) -> int:
    args = ["-m", "pytest", *shlex.split(os.environ.get("PYTEST_ARGS", ""))]
    print(f"\n===== telcost test suite on {label} =====", flush=True)
    return subprocess.call([sys.executable, *args], env=env)


def main() -> int:
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    results: dict[str, int] = {}
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    only = os.environ.get("TELCOST_TEST_DATABASES", "sqlite,postgres").split(",")
    if "sqlite" in only:
        results["sqlite"] = run("SQLite", {**base, "TELCOST_VAR_DIR": os.path.abspath("var/test")})
    if "postgres" in only:
        ok, why = postgres_reachable(PG_URL)
        if ok:
            results["postgres"] = run(
                "PostgreSQL",
                {**base, "DATABASE_URL": PG_URL, "TELCOST_VAR_DIR": os.path.abspath("var/test-pg")},
            )
        elif ci:
            print(
                f"PostgreSQL at {PG_URL} is required under CI=true and is not reachable: {why}",
                file=sys.stderr,
            )
            results["postgres"] = 1
        else:
            print(f"Skipping the PostgreSQL run: {PG_URL} not reachable ({why})")
    print("\n===== summary =====")
    for label, code in results.items():
        print(f"{label}: {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if results and all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
