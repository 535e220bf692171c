"""A big import leaves the planner's statistics of usage_cdr fresh (issue 19 item 1).

Users export and recalculate right after an import: with the statistics of before, PostgreSQL
planned a 300,000-CDR export of a just-imported month at 11.7 s instead of 1.2 s.
"""

import io

import pytest
from django.db import connection

from telcost.core.cdr_format import CSV_COLUMNS
from telcost.usage.imports.pipeline import ANALYZE_AFTER_IMPORTED, cdrs_import_csv
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _csv(records: int) -> io.BytesIO:
    lines = [",".join(CSV_COLUMNS)]
    lines += [
        f"s{n},3160{n % 50:07d},2026-09-{1 + n % 28:02d}T10:00:00+02:00,voice,national,"
        f"31201234567,61,0,0.1234"
        for n in range(records)
    ]
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def _last_manual_analyze():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'usage_cdr'")
        return cursor.fetchone()[0]


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite plans without statistics: nothing to refresh")


def test_an_import_of_many_records_analyzes_the_cdr_table_when_it_commits(on_postgres):
    before = _last_manual_analyze()
    customer = CustomerFactory()
    result = cdrs_import_csv(customer=customer, stream=_csv(ANALYZE_AFTER_IMPORTED))
    assert result.imported == ANALYZE_AFTER_IMPORTED
    after = _last_manual_analyze()
    assert after is not None and (before is None or after > before)


def test_a_small_import_leaves_the_statistics_to_autovacuum(on_postgres):
    before = _last_manual_analyze()
    cdrs_import_csv(customer=CustomerFactory(), stream=_csv(ANALYZE_AFTER_IMPORTED - 1))
    assert _last_manual_analyze() == before


def test_a_sync_that_imports_many_records_analyzes_the_cdr_table(on_postgres, tmp_path):
    import datetime as dt

    from telcost.syncs.models import SyncTask
    from telcost.syncs.profiles import sync_profile_create
    from telcost.syncs.services import sync_run

    (tmp_path / "september.csv").write_bytes(_csv(ANALYZE_AFTER_IMPORTED).getvalue())
    profile = sync_profile_create(
        customer=CustomerFactory(),
        name="drop",
        provider="file_drop",
        settings={"path": str(tmp_path)},
        credentials={},
    )
    before = _last_manual_analyze()
    task = SyncTask.objects.create(profile=profile, cycle_start=dt.date(2026, 9, 1))
    sync_run(task=task)
    task.refresh_from_db()
    assert task.imported == ANALYZE_AFTER_IMPORTED
    after = _last_manual_analyze()
    assert after is not None and (before is None or after > before)
