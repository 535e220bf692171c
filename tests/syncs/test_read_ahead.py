"""read_ahead: the next page read (and prepared) in a thread while the caller handles this one."""

import sys
import threading

import pytest

from telcost.integrations.providers.read_ahead import read_ahead


def test_items_come_in_order_each_prepared_in_the_reading_thread():
    caller = threading.get_ident()
    prepared_in = []

    def prepare(item):
        prepared_in.append(threading.get_ident())
        return item * 10

    assert list(read_ahead(iter([1, 2, 3]), prepare=prepare)) == [10, 20, 30]
    assert len(prepared_in) == 3 and caller not in prepared_in


def test_the_switch_interval_is_short_while_reading_ahead_and_restored_after():
    before = sys.getswitchinterval()
    seen = [sys.getswitchinterval() for _ in read_ahead(iter(range(3)))]
    assert all(interval <= 0.0005 for interval in seen)
    assert sys.getswitchinterval() == before


def test_a_failing_reader_raises_in_the_caller_and_restores_the_switch_interval():
    before = sys.getswitchinterval()

    def pages():
        yield 1
        raise RuntimeError("provider down")

    items = read_ahead(pages())
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="provider down"):
        next(items)
    assert sys.getswitchinterval() == before
