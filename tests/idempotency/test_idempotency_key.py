"""Every POST that dispatches work honours an Idempotency-Key header (issue 13, item 6)."""

import datetime as dt
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import MULTIPART_CONTENT
from django.utils import timezone

from telcost.idempotency.models import IdempotencyKey
from telcost.idempotency.services import idempotency_keys_delete_expired
from telcost.jobs.models import Job
from telcost.syncs.profiles import sync_profile_create
from tests.factories import UserFactory

CSV = (
    b"external_id,msisdn,started_at,record_type,zone,destination,duration_s,volume_kb,provider_cost\n"
    b"x1,31612345678,2026-09-03T10:00:00+02:00,voice,national,31201234567,60,0,0.10\n"
)


@pytest.fixture
def staff(db):
    return UserFactory(username="ops", is_staff=True)


def dispatching_posts(customer, tmp_path):
    """(path, body, content type) of every POST that dispatches work, for `customer`."""
    profile = sync_profile_create(
        customer=customer,
        name="drop",
        provider="file_drop",
        settings={"path": str(tmp_path)},
        credentials={},
    )
    return {
        "recalculate": (
            f"/usage/recalculate_total_usage/2026-09-01/{customer.pk}",
            None,
            "application/json",
        ),
        "addons": (
            f"/simaction/simcard/modify-addons/{customer.pk}",
            {"addonsAction": "activate", "addon_type": "data_boost"},
            "application/json",
        ),
        "manual sync": (
            "/sync-profile/manual-sync",
            {"sync_profile_id": profile.pk, "date": "2026-09-12"},
            "application/json",
        ),
        "export": (
            "/api/exports",
            {
                "customer_id": customer.pk,
                "cycle_start_date": "2026-09-01",
                "kind": "totals",
                "format": "csv",
            },
            "application/json",
        ),
        "partner range": (
            f"/api/partners/{customer.pk}/recalculate",
            {"start_date": "2026-08-01", "end_date": "2026-09-01"},
            "application/json",
        ),
        "cdr import": (
            f"/api/customers/{customer.pk}/cdr-imports",
            lambda: {"file": SimpleUploadedFile("c.csv", CSV)},
            MULTIPART_CONTENT,
        ),
    }


def post(client, path, body, content_type, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, body() if callable(body) else body, content_type=content_type, **extra)


ENDPOINTS = ["recalculate", "addons", "manual sync", "export", "partner range", "cdr import"]


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_same_key_and_body_get_the_first_answer_and_dispatch_once(
    api_client,
    nina,
    reseller_world,
    staff,
    tmp_path,
    drain_jobs,
    endpoint,
):
    _, customer, _ = reseller_world
    path, body, content_type = dispatching_posts(customer, tmp_path)[endpoint]
    client = api_client(staff)
    first = post(client, path, body, content_type, key="click-1")
    assert 200 <= first.status_code < 300, first.content
    # The first request's work has ended: only the key can tell the repeat from a new request.
    drain_jobs()
    jobs = Job.objects.count()
    again = post(client, path, body, content_type, key="click-1")
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert Job.objects.count() == jobs
    assert post(client, path, body, content_type, key="click-2").content != first.content
    assert Job.objects.count() > jobs


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_same_key_with_another_request_is_422_and_dispatches_nothing(
    api_client,
    nina,
    reseller_world,
    staff,
    tmp_path,
    endpoint,
):
    _, customer, _ = reseller_world
    posts = dispatching_posts(customer, tmp_path)
    client = api_client(staff)
    assert (
        post(
            client, *posts["addons"] if endpoint != "addons" else posts["export"], key="k"
        ).status_code
        == 202
    )
    jobs = Job.objects.count()
    answer = post(client, *posts[endpoint], key="k")
    assert answer.status_code == 422 and "Idempotency-Key" in answer.json()["error"]
    assert Job.objects.count() == jobs


@pytest.mark.django_db
def test_keys_are_the_users_own_and_refusals_are_not_kept(
    api_client, nina, reseller_world, staff, tmp_path
):
    _, customer, manager = reseller_world
    path, body, content_type = dispatching_posts(customer, tmp_path)["addons"]
    first = post(api_client(staff), path, body, content_type, key="same")
    other_user = post(api_client(manager), path, body, content_type, key="same")
    assert (
        other_user.status_code == 202 and other_user.json()["joined"] and not first.json()["joined"]
    )
    # A refused request is not an answer to keep: fixed, it is sent again under its key.
    bad = post(api_client(staff), path, {"addonsAction": "explode"}, content_type, key="retry-me")
    assert bad.status_code == 400
    assert (
        post(
            api_client(staff),
            path,
            {**body, "addon_type": "eu_roaming"},
            content_type,
            key="retry-me",
        ).status_code
        == 202
    )
    assert post(api_client(staff), path, body, content_type, key="x" * 256).status_code == 400


@pytest.mark.django_db
def test_a_key_is_kept_24_hours_then_forgotten_and_deleted(
    api_client, nina, reseller_world, staff, tmp_path, drain_jobs
):
    _, customer, _ = reseller_world
    path, body, content_type = dispatching_posts(customer, tmp_path)["export"]
    client = api_client(staff)
    first = post(client, path, body, content_type, key="day-old")
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=23, minutes=59))
    assert post(client, path, body, content_type, key="day-old").content == first.content
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=24, seconds=1))
    drain_jobs()  # the first export has ended: an identical request is not joined to it
    later = post(client, path, body, content_type, key="day-old")
    assert later.status_code == 202 and later.json()["export_id"] != first.json()["export_id"]
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    fresh = IdempotencyKey.objects.create(user=UserFactory(), key="fresh", fingerprint="0" * 64)
    assert idempotency_keys_delete_expired() == 1
    assert list(IdempotencyKey.objects.all()) == [fresh]
    fresh.delete()
    # Every worker runs the clean-up on a timer.
    from telcost.core.timers import _TIMERS

    post(client, path, body, content_type, key="stale")
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    _TIMERS["idempotency.delete_expired"].fn()
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_dispatch_once(api_client, staff, customer, tmp_path):
    path, body, content_type = dispatching_posts(customer, tmp_path)["export"]
    answers, start = [], threading.Barrier(4)

    def send():
        try:
            client = api_client(staff)
            start.wait()
            answers.append(post(client, path, body, content_type, key="burst"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {(a.status_code, a.content) for a in answers} == {
        (answers[0].status_code, answers[0].content)
    }
    assert answers[0].status_code == 202 and Job.objects.count() == 1


@pytest.mark.django_db
def test_the_api_document_names_the_header_on_every_dispatching_post(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    dispatching = [
        "/usage/recalculate_total_usage/{date}/{customer_id}",
        "/simaction/simcard/modify-addons/{customer_id}",
        "/sync-profile/manual-sync",
        "/api/exports",
        "/api/partners/{customer_id}/recalculate",
        "/api/customers/{customer_id}/cdr-imports",
    ]
    for path in dispatching:
        operation = paths[path]["post"]
        assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]], path
        assert "422" in operation["responses"], path
