"""Mutual exclusion per key (e.g. one customer-month) across processes and machines.

PostgreSQL: a session advisory lock, released by the server if the worker dies.
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
    lock = _advisory_lock if connection.vendor == "postgresql" else _file_lock
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
