"""Reading a provider's next page while the current one is imported.

The import of a page mostly waits on the database, which releases the interpreter:
meanwhile a thread fetches (HTTP) or parses (CSV) the next page, so the provider's
time and the database's overlap. Only the order of work changes: pages are still
handed over, imported and checkpointed one at a time, and at most one is read ahead.
"""

import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

_END = object()
# While the reading thread computes, this thread's every database answer waits for the interpreter
# until the reader yields it: 5 ms by default, several times per page, a third of an http_api
# import.
_SWITCH_INTERVAL_S = 0.0005


def read_ahead[T](pages: Iterator[T], prepare: Callable[[T], T] | None = None) -> Iterator[T]:
    """The same items as `pages`, the next one produced in a thread while the caller handles
    this one.

    prepare: more work on each item done in that thread too (it must not touch the database:
    the thread has no part in the caller's transaction).
    """

    def produce():
        page = next(pages, _END)
        return page if page is _END or prepare is None else prepare(page)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="provider-read-ahead")
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, _SWITCH_INTERVAL_S))
    try:
        pending = pool.submit(produce)
        while (page := pending.result()) is not _END:
            pending = pool.submit(produce)
            yield page
    finally:
        # Not waited for: a page still being fetched when the import fails or stops is not needed.
        pool.shutdown(wait=False, cancel_futures=True)
        sys.setswitchinterval(switch_interval)
