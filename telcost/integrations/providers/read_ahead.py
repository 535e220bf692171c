"""Reading a provider's next page while the current one is imported.

The import of a page mostly waits on the database, which releases the interpreter:
meanwhile a thread fetches (HTTP) or parses (CSV) the next page, so the provider's
time and the database's overlap. Only the order of work changes: pages are still
handed over, imported and checkpointed one at a time, and at most one is read ahead.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

_END = object()


def read_ahead[T](pages: Iterator[T]) -> Iterator[T]:
    """The same items as `pages`, the next one produced in a thread while the caller handles this one."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="provider-read-ahead")
    try:
        pending = pool.submit(next, pages, _END)
        while (page := pending.result()) is not _END:
            pending = pool.submit(next, pages, _END)
            yield page
    finally:
        # Not waited for: a page still being fetched when the import fails or stops is not needed.
        pool.shutdown(wait=False, cancel_futures=True)
