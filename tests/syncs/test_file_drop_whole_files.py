"""A drop file is imported whole or not at all, each file its own unit (issue 13 item 13).

A file unreadable at some line past its first page leaves none of its records nor devices, fails
the sync naming the file and the line, and the files before it stay imported and are recalculated.
A sync stopped inside a file and resumed, or run again, imports and counts nothing twice.
"""

import pytest
from django.db import OperationalError
from django.db.models import Sum

from telcost.customers.models import Device
from telcost.jobs.errors import PermanentError
from telcost.jobs.models import Job
from telcost.syncs import services
from telcost.syncs.models import SyncedFile, SyncTask
from telcost.syncs.profiles import sync_profile_create
from telcost.syncs.services import sync_manual_dispatch
from telcost.usage.models import CDR, UsageTotal
from tests.conftest import wait_for
from tests.factories import CustomerFactory, UserFactory
from tests.syncs.test_file_drop import HEADER, SEPT, counts, record, run
from tests.usage.imports.test_import_whole_file import BAD_LINE, ROWS, UNREADABLE, big_csv, good_row

# a.csv's records are of other numbers than big_csv's, so b.csv's devices are told apart.
A_ROWS = [record(f"a{i}", msisdn=f"3169{i:07d}") for i in range(5)]


def drop_folder(folder, bad: str | None) -> None:
    """a.csv (5 good records), then b.csv (ROWS records, the one at BAD_LINE replaced by `bad`)."""
    (folder / "a.csv").write_text("\n".join([HEADER, *A_ROWS]) + "\n")
    (folder / "b.csv").write_bytes(big_csv(BAD_LINE, bad) if bad else big_csv())


def devices_of_b() -> int:
    return Device.objects.filter(msisdn__startswith="316000").count()


@pytest.fixture
def drop_profile(customer, tmp_path):
    return sync_profile_create(
        customer=customer,
        name="drop",
        provider="file_drop",
        settings={"path": str(tmp_path)},
        credentials={},
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", list(UNREADABLE))
def test_a_drop_file_unreadable_past_its_first_page_leaves_nothing_and_fails_the_sync_naming_it(
    case, tmp_path, start_worker
):
    customer = CustomerFactory()
    folder = tmp_path / "drop"
    folder.mkdir()
    profile = sync_profile_create(
        customer=customer,
        name="drop",
        provider="file_drop",
        settings={"path": str(folder)},
        credentials={},
    )
    bad, message = UNREADABLE[case]
    drop_folder(folder, bad)
    task = sync_manual_dispatch(profile=profile, cycle_start=SEPT, user=UserFactory(is_staff=True))
    start_worker("drop")
    wait_for(
        lambda: SyncTask.objects.get(pk=task.pk).status in ("completed", "failed"),
        timeout=120,
        message="the sync to end",
    )
    task.refresh_from_db()
    assert task.status == "failed"
    assert f": b.csv: {message}" in task.error, task.error
    # a.csv, the file before it, stays imported and counted; of b.csv nothing is left.
    assert counts(task) == (5, 5, 0, 0)
    assert set(CDR.objects.values_list("external_id", flat=True)) == {f"a{i}" for i in range(5)}
    assert devices_of_b() == 0
    assert list(SyncedFile.objects.values_list("name", flat=True)) == ["a.csv"]
    # The month is recalculated for what a.csv brought, the sync having failed.
    recalculation = wait_for(
        lambda: Job.objects.filter(
            kind="recalculate_totals", customer=customer, status__in=("completed", "failed")
        ).first(),
        timeout=60,
        message="the month's recalculation",
    )
    assert recalculation.status == "completed", recalculation.error
    totals = UsageTotal.objects.filter(customer=customer, cycle_start=SEPT)
    assert totals.aggregate(n=Sum("count"))["n"] == 5


@pytest.mark.django_db
def test_a_refused_file_fails_the_sync_and_once_mended_a_retry_counts_nothing_twice(
    drop_profile, tmp_path, monkeypatch
):
    monkeypatch.setattr("telcost.integrations.providers.file_drop.PAGE_ROWS", 1000)
    drop_folder(tmp_path, UNREADABLE["a quote that is never closed"][0])
    (tmp_path / "c.csv").write_text("\n".join([HEADER, record("c1", msisdn="31690000099")]) + "\n")
    task = SyncTask.objects.create(profile=drop_profile, cycle_start=SEPT)
    with pytest.raises(PermanentError, match=f"^b.csv: line {BAD_LINE}: "):
        services.sync_run(task=task)
    task.refresh_from_db()
    assert counts(task) == (5, 5, 0, 0) and task.checkpoint == {"done_files": ["a.csv"]}
    assert CDR.objects.count() == 5 and devices_of_b() == 0
    # Mended, the same task resumes after a.csv: b.csv and c.csv imported, a.csv not counted again.
    (tmp_path / "b.csv").write_bytes(big_csv())
    resumed = run(drop_profile, task=task)
    assert counts(resumed) == (5 + ROWS + 1, 5 + ROWS + 1, 0, 0)
    assert CDR.objects.count() == 5 + ROWS + 1
    # A new sync of the month reads none of them again and counts each record once, as a duplicate.
    assert counts(run(drop_profile)) == (5 + ROWS + 1, 0, 5 + ROWS + 1, 0)


@pytest.mark.django_db
def test_a_sync_stopped_inside_a_file_resumes_at_the_files_start_and_counts_it_once(
    drop_profile, tmp_path, monkeypatch
):
    monkeypatch.setattr("telcost.integrations.providers.file_drop.PAGE_ROWS", 1000)
    drop_folder(tmp_path, None)
    original = services.cdrs_import_rows
    pages = []

    def fail_on_the_third_page(**kwargs):
        pages.append(kwargs["rows"][0][0])
        result = original(
            **kwargs
        )  # written, then the transaction fails: the file's pages go with it
        if len(pages) == 3:
            raise OperationalError("the database went away inside b.csv")
        return result

    monkeypatch.setattr(services, "cdrs_import_rows", fail_on_the_third_page)
    task = SyncTask.objects.create(profile=drop_profile, cycle_start=SEPT)
    with pytest.raises(OperationalError):
        services.sync_run(task=task)
    assert pages == [2, 2, 1002]  # a.csv, then b.csv's first two pages
    task.refresh_from_db()
    assert counts(task) == (5, 5, 0, 0) and task.checkpoint == {"done_files": ["a.csv"]}
    assert CDR.objects.count() == 5 and devices_of_b() == 0
    assert list(SyncedFile.objects.values_list("name", flat=True)) == ["a.csv"]
    monkeypatch.setattr(services, "cdrs_import_rows", original)
    resumed = run(drop_profile, task=task)
    assert counts(resumed) == (5 + ROWS, 5 + ROWS, 0, 0) and CDR.objects.count() == 5 + ROWS
    synced = {f.name: (f.fetched, f.stored, f.rejected) for f in SyncedFile.objects.all()}
    assert synced == {"a.csv": (5, 5, 0), "b.csv": (ROWS, ROWS, 0)}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_long_drop_file_is_not_taken_over_as_lost(tmp_path, start_worker):
    """One file is one transaction for many heartbeats: no other worker may take the step over."""
    customer = CustomerFactory()
    folder = tmp_path / "drop"
    folder.mkdir()
    rows = 300_000
    (folder / "long.csv").write_text(
        "\n".join([HEADER, *(good_row(i) for i in range(rows))]) + "\n"
    )
    profile = sync_profile_create(
        customer=customer,
        name="drop",
        provider="file_drop",
        settings={"path": str(folder)},
        credentials={},
    )
    stale = 2.0
    fast = {
        "TELCOST_JOBS_HEARTBEAT_SECONDS": "0.3",
        "TELCOST_JOBS_STALE_AFTER_SECONDS": str(stale),
        "TELCOST_JOBS_SWEEP_SECONDS": "0.3",
    }
    task = sync_manual_dispatch(profile=profile, cycle_start=SEPT, user=UserFactory(is_staff=True))
    start_worker("first", **fast)
    start_worker("second", **fast)
    wait_for(
        lambda: SyncTask.objects.get(pk=task.pk).status in ("completed", "failed"),
        timeout=180,
        message="the sync to end",
    )
    task.refresh_from_db()
    assert task.status == "completed", task.error
    step = Job.objects.get(pk=task.job_id).steps.get(name="SyncProfileCommand")
    assert (
        step.finished_at - step.started_at
    ).total_seconds() > stale  # it outlived the stale limit
    assert step.attempts == 1
    assert counts(task) == (rows, rows, 0, 0)
