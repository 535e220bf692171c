"""Mutual exclusion per key (e.g. one customer-month) across processes and machines.

PostgreSQL: a session advisory lock, released by the server if the worker dies.
Behind a pooler in transaction mode (TELCOST_DB_POOLER=transaction) a session lock would stay
with whichever server connection took it, and the next statement's connection, maybe another
client's, would hold it too: there the lock is a transaction-level one, held in a transaction of
a connection of its own that stays open while the key is held (the pooler keeps a transaction on
one server connection, and drops that connection, and so the lock, if the worker dies).
SQLite lives on one machine: an flock on a file beside the database, released by
the kernel if the process dies. Either way a killed worker never leaves a lock.
"""

import fcntl
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection

from telcost.jobs.registry import is_lost_connection

logger = logging.getLogger("telcost.jobs")


def _key_number(key: str) -> int:
    # pg advisory locks take a signed 64-bit integer.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def exclusive(key: str) -> Iterator[None]:
    if not key:
        yield
        return
    # The one place the jobs app's locks ask which database they run on.
    if connection.vendor != "postgresql":
        lock = _file_lock
    elif settings.DB_POOLER == "transaction":
        lock = _advisory_xact_lock
    else:
        lock = _advisory_lock
    with lock(key):
        yield


@contextmanager
def _advisory_lock(key: str) -> Iterator[None]:
    number = _key_number(key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [number])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [number])
        except DatabaseError as exc:
            # A session that is gone holds no lock: the server released it with the session.
            # Anything else must not hide what the handler raised either, but is logged.
            if not is_lost_connection(exc):
                logger.warning("could not release the advisory lock of %s", key, exc_info=True)


@contextmanager
def _advisory_xact_lock(key: str) -> Iterator[None]:
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    holder = psycopg.connect(**params, autocommit=False)
    try:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [_key_number(key)])
        yield
    finally:
        try:
            # Rolled back, not just closed: the pooler then hands the server connection on clean
            # instead of throwing it away for the transaction a vanished client left open.
            holder.rollback()
        except psycopg.Error:  # a lost connection holds no lock: the server ended its transaction
            pass
        finally:
            holder.close()


@contextmanager
def _file_lock(key: str) -> Iterator[None]:
    lock_dir = Path(settings.DATABASES["default"]["NAME"]).parent / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / (hashlib.sha1(key.encode()).hexdigest() + ".lock")
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
