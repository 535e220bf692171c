"""file_drop re-syncs: an unchanged file is not read again, a changed one is, and resumes stay
exact."""

import datetime as dt

import pytest

from telcost.core.cdr_format import CSV_COLUMNS
from telcost.integrations.providers.file_drop import FileDropProvider
from telcost.syncs.models import SyncedFile, SyncTask
from telcost.syncs.profiles import sync_profile_create
from telcost.syncs.services import sync_run
from telcost.usage.models import CDR
from tests.factories import CustomerFactory, DeviceFactory

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)
HEADER = ",".join(CSV_COLUMNS)


def record(external_id: str, msisdn: str = "31600000001", day: int = 2) -> str:
    return f"{external_id},{msisdn},2026-09-{day:02d}T10:00:00+02:00,sms,national,x,0,0,0.08"


@pytest.fixture
def drop(customer, tmp_path):
    profile = sync_profile_create(
        customer=customer,
        name="drop",
        provider="file_drop",
        settings={"path": str(tmp_path)},
        credentials={},
    )
    return profile, tmp_path


def run(profile, month=SEPT, task=None) -> SyncTask:
    """A sync of the month run to its end (or task, resumed from its checkpoint)."""
    task = task or SyncTask.objects.create(profile=profile, cycle_start=month)
    sync_run(task=task)
    task.refresh_from_db()
    return task


def counts(task):
    return task.fetched, task.imported, task.duplicates, task.rejected


def calls_of(monkeypatch, module, name: str) -> list:
    """A list that grows by one at each call of module.name (which still does its work)."""
    calls = []
    original = getattr(module, name)

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


@pytest.fixture
def csv_reads(monkeypatch):
    """How many times a drop file was parsed."""
    from telcost.integrations.providers import file_drop

    return calls_of(monkeypatch, file_drop, "csv_rows")


def test_an_unchanged_file_is_not_read_again_and_counts_as_reading_it_would(drop, csv_reads):
    profile, folder = drop
    (folder / "a.csv").write_text(
        "\n".join(
            [
                HEADER,
                record("a1"),
                record("a2"),
                "bad,1,x,sms,national,x,0,0,0",
                record("oct", day=2).replace("2026-09", "2026-10"),
            ]
        )
        + "\n"
    )
    first = run(profile)
    assert counts(first) == (3, 2, 0, 1) and len(csv_reads) == 1
    again = run(profile)
    assert len(csv_reads) == 1, "the unchanged file was parsed again"
    assert counts(again) == (3, 0, 2, 1)
    assert again.errors == [
        {
            "file": "a.csv",
            "reason": f"unchanged since sync task {first.pk} read it; "
            "its 1 rejected records are listed there",
        }
    ]
    assert CDR.objects.count() == 2
    # Another month is another question: October's rows of the same file are read for October.
    october = run(profile, dt.date(2026, 10, 1))
    assert counts(october) == (2, 1, 0, 1) and len(csv_reads) == 2  # the bad record names no month


def test_a_changed_file_is_read_again(drop, csv_reads):
    profile, folder = drop
    path = folder / "a.csv"
    path.write_text("\n".join([HEADER, record("a1"), record("a2")]) + "\n")
    run(profile)
    path.write_text("\n".join([HEADER, record("a1"), record("a2"), record("a3")]) + "\n")
    again = run(profile)
    assert len(csv_reads) == 2 and counts(again) == (3, 1, 2, 0)
    assert set(CDR.objects.values_list("external_id", flat=True)) == {"a1", "a2", "a3"}
    assert SyncedFile.objects.filter(profile=profile, cycle_start=SEPT).count() == 2


def test_a_file_refused_for_another_customers_device_is_read_again_once_the_device_moves(
    drop, customer, csv_reads
):
    profile, folder = drop
    device = DeviceFactory(msisdn="31600000009", customer=CustomerFactory())
    (folder / "a.csv").write_text(
        "\n".join([HEADER, record("a1"), record("moved", msisdn="31600000009")]) + "\n"
    )
    assert counts(run(profile)) == (2, 1, 0, 1)
    device.customer = customer
    device.save()
    again = run(profile)
    assert len(csv_reads) == 2 and counts(again) == (2, 1, 1, 0)
    assert CDR.objects.filter(external_id="moved", customer=customer).exists()
    run(profile)
    assert len(csv_reads) == 2, "read in full without refusals: not read a third time"


def test_a_files_pages_before_its_last_resume_at_its_start(tmp_path, monkeypatch):
    """A file is committed whole: only its last page's checkpoint lies past it."""
    monkeypatch.setattr("telcost.integrations.providers.file_drop.PAGE_ROWS", 2)
    (tmp_path / "a.csv").write_text("\n".join([HEADER, record("a1")]) + "\n")
    b_rows = [record(f"b{i}") for i in range(5)]
    (tmp_path / "b.csv").write_text("\n".join([HEADER, *b_rows]) + "\n")
    pages = FileDropProvider(path=str(tmp_path)).pages(cycle_start=SEPT, checkpoint={})
    after_a, after_b = {"done_files": ["a.csv"]}, {"done_files": ["a.csv", "b.csv"]}
    assert [(p.file.name, p.file.complete, p.checkpoint) for p in pages] == [
        ("a.csv", True, after_a),
        ("b.csv", False, after_a),
        ("b.csv", False, after_a),
        ("b.csv", True, after_b),
    ]


def test_a_long_file_counts_across_pages_and_is_skipped_whole(drop, monkeypatch, csv_reads):
    monkeypatch.setattr("telcost.integrations.providers.file_drop.PAGE_ROWS", 3)
    profile, folder = drop
    (folder / "a.csv").write_text("\n".join([HEADER, *(record(f"r{i}") for i in range(10))]) + "\n")
    (folder / "b.csv").write_text("\n".join([HEADER, record("r0"), record("b1")]) + "\n")
    assert counts(run(profile)) == (12, 11, 1, 0)
    synced = {f.name: (f.fetched, f.stored, f.rejected) for f in SyncedFile.objects.all()}
    assert synced == {"a.csv": (10, 10, 0), "b.csv": (2, 2, 0)}
    assert counts(run(profile)) == (12, 0, 12, 0) and len(csv_reads) == 2
