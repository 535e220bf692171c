"""http_api re-syncs: a page whose body is the one imported before at its position is fetched but
not decoded.

Real HTTP to the provider simulator on loopback (3 pages of 100, 100 and 50 records by default).
"""

import pytest

from telcost.integrations.providers import http_api
from telcost.syncs import services
from telcost.syncs.models import SyncedPage, SyncTask
from telcost.syncs.services import sync_run
from telcost.usage.models import CDR
from tests.factories import CustomerFactory, DeviceFactory
from tests.syncs.test_file_drop import SEPT, calls_of, counts, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def decoded(monkeypatch):
    """How many provider answers were decoded into records."""
    return calls_of(monkeypatch, http_api, "page_of_values")


def test_an_unchanged_month_is_fetched_but_not_decoded_and_counts_as_importing_it_would(
    api_profile, provider_sim, decoded
):
    first = run(api_profile)
    assert counts(first) == (250, 250, 0, 0) and len(decoded) == 3
    assert SyncedPage.objects.filter(profile=api_profile, cycle_start=SEPT).count() == 3
    calls = provider_sim.state.calls
    again = run(api_profile)
    assert provider_sim.state.calls == calls + 3, "the pages must still be asked of the provider"
    assert len(decoded) == 3, "an unchanged page was decoded again"
    assert counts(again) == (250, 0, 250, 0) and again.errors == []
    assert again.checkpoint == {"next_page": None, "line": 250}
    assert CDR.objects.count() == 250


def test_a_page_that_changed_is_imported_and_the_unchanged_ones_are_not(
    api_profile, provider_sim, decoded
):
    run(api_profile)
    provider_sim.control(records=251)  # the last page gets one more record
    again = run(api_profile)
    assert len(decoded) == 4 and counts(again) == (251, 1, 250, 0)
    assert CDR.objects.count() == 251
    assert counts(run(api_profile)) == (251, 0, 251, 0) and len(decoded) == 4


def test_pages_that_shift_are_all_imported_and_dedupe_keeps_them_right(
    api_profile, provider_sim, decoded
):
    run(api_profile)
    provider_sim.control(
        page_size=70
    )  # every page boundary moves: no body is the one imported before
    again = run(api_profile)
    assert len(decoded) == 3 + 4 and counts(again) == (250, 0, 250, 0)
    assert CDR.objects.count() == 250


def test_a_page_with_rejected_records_is_imported_every_time_with_its_reasons(
    api_profile, provider_sim, decoded
):
    provider_sim.control(
        mode="malformed", times=1
    )  # the first page, spoiled the same way each time
    first = run(api_profile)
    assert counts(first) == (250, 246, 0, 4)
    assert not SyncedPage.objects.filter(position=1).exists()
    provider_sim.control(mode="malformed", times=1)
    again = run(api_profile)
    assert len(decoded) == 4, "only the page with rejected records is decoded again"
    assert counts(again) == (250, 0, 246, 4)
    assert [e["line"] for e in again.errors] == [e["line"] for e in first.errors] == [1, 2, 3, 4]


def test_a_page_refused_for_another_customers_device_is_imported_once_the_device_moves(
    api_profile, customer, provider_sim, decoded
):
    # The simulator's numbers for key-acme: base + i % 25, so every page has records of this one.
    msisdn = str(31650000000 + sum(map(ord, "key-acme")) * 100)
    device = DeviceFactory(msisdn=msisdn, customer=CustomerFactory())
    first = run(api_profile)
    assert counts(first) == (250, 240, 0, 10) and not SyncedPage.objects.exists()
    device.customer = customer
    device.save()
    again = run(api_profile)
    assert len(decoded) == 6 and counts(again) == (250, 10, 240, 0)
    assert counts(run(api_profile)) == (250, 0, 250, 0) and len(decoded) == 6


def test_a_page_whose_import_failed_leaves_no_claim_and_is_imported_on_resume(
    api_profile, monkeypatch, decoded
):
    original = services.synced_page_record
    recorded = []

    def record_then_fail_on_page_2(**kwargs):
        original(**kwargs)  # written, then the page's transaction fails: the record must go with it
        recorded.append(kwargs["page"].body.position)
        if kwargs["page"].body.position == 2:
            raise RuntimeError("the database went away mid-page")

    monkeypatch.setattr(services, "synced_page_record", record_then_fail_on_page_2)
    task = SyncTask.objects.create(profile=api_profile, cycle_start=SEPT)
    with pytest.raises(RuntimeError):
        sync_run(task=task)
    assert recorded == [1, 2]
    assert list(SyncedPage.objects.values_list("position", flat=True)) == [1]
    assert CDR.objects.count() == 100
    task.refresh_from_db()
    assert task.checkpoint == {"next_page": 2, "line": 100}
    monkeypatch.setattr(services, "synced_page_record", original)
    resumed = run(api_profile, task=task)
    assert counts(resumed) == (250, 250, 0, 0) and CDR.objects.count() == 250
    assert sorted(SyncedPage.objects.values_list("position", flat=True)) == [1, 2, 3]
    assert counts(run(api_profile)) == (250, 0, 250, 0)
