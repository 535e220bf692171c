"""A pgbouncer of its own in transaction mode, for the tests and benchmarks that run telcost behind
a connection pooler (`make test` installs Debian's pgbouncer: the Makefile's `pgbouncer` target).

    with pgbouncer_running("127.0.0.1", 5432, pool_size=10) as bouncer:
        url = bouncer.url("postgres", "telcost_x")   # postgres://postgres@127.0.0.1:<port>/telcost_x

Its ini, userlist, log and pid file live in a directory of its own, it listens on a free loopback
port, trusts its clients (as this machine's PostgreSQL trusts loopback) and is stopped on exit.
pgbouncer refuses to run as root: as root it runs as the `postgres` user (`-u`), so its directory
is readable by that user.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PGBOUNCER = "/usr/sbin/pgbouncer"


def pgbouncer_path() -> str | None:
    """The pgbouncer executable, or None where it is not installed."""
    found = shutil.which("pgbouncer") or (PGBOUNCER if os.path.exists(PGBOUNCER) else None)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Bouncer:
    port: int
    directory: Path
    process: subprocess.Popen

    def url(self, user: str, database: str) -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    @property
    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text() if path.exists() else ""


@contextmanager
def pgbouncer_running(
    host: str = "127.0.0.1",
    port: int = 5432,
    *,
    user: str = "postgres",
    pool_size: int = 10,
    max_client_conn: int = 200,
) -> Iterator[Bouncer]:
    executable = pgbouncer_path()
    if executable is None:
        raise RuntimeError("pgbouncer is not installed (make pgbouncer)")
    directory = Path(tempfile.mkdtemp(prefix="telcost-pgbouncer-"))
    listen = _free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:
        run_as = ["-u", "postgres"]
        account = pwd.getpwnam("postgres")
        os.chown(directory, account.pw_uid, account.pw_gid)
    directory.chmod(0o755)
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    (directory / "pgbouncer.ini").write_text(
        "\n".join(
            [
                "[databases]",
                f"* = host={host} port={port}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {listen}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {directory / 'userlist.txt'}",
                "pool_mode = transaction",
                f"default_pool_size = {pool_size}",
                f"max_client_conn = {max_client_conn}",
                # Statements wait for a free server connection rather than fail.
                "query_wait_timeout = 120",
                f"logfile = {directory / 'pgbouncer.log'}",
                f"pidfile = {directory / 'pgbouncer.pid'}",
                # psycopg may send these; pgbouncer would refuse the client otherwise.
                "ignore_startup_parameters = extra_float_digits,options",
                "",
            ]
        )
    )
    for name in ("userlist.txt", "pgbouncer.ini"):
        (directory / name).chmod(0o644)
    process = subprocess.Popen(
        [executable, *run_as, str(directory / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    bouncer = Bouncer(port=listen, directory=directory, process=process)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", listen), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer did not start:\n{bouncer.log}") from None
                time.sleep(0.05)
        yield bouncer
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # pgbouncer: immediate shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)
