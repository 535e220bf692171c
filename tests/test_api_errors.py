"""Whatever a user sends, the API answers JSON with the right status, never a 500."""

import pytest


@pytest.mark.django_db
def test_malformed_json_is_400(api_client, staff_user):
    response = api_client(staff_user).post(
        "/api/customers", "{not json", content_type="application/json"
    )
    assert response.status_code == 400 and "error" in response.json()


@pytest.mark.django_db
def test_wrong_method_is_405_json(api_client, staff_user):
    response = api_client(staff_user).delete("/api/users")  # GET and POST it has, not DELETE
    assert response.status_code == 405 and response.json() == {"error": "Method not allowed"}


@pytest.mark.django_db
def test_unknown_api_path_is_404_json(api_client, staff_user):
    response = api_client(staff_user).get("/api/nothing-here")
    assert response.status_code == 404 and "error" in response.json()


@pytest.mark.django_db
def test_session_post_without_csrf_is_403(staff_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    response = client.post("/api/customers", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403 and "error" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_an_unsafe_request_without_a_login_is_401_not_a_csrf_403(token):
    # Without a session cookie there is no ambient authority to forge: the answer is "log in".
    from django.test import Client

    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/customers", {"name": "x"}, content_type="application/json", **headers
    )
    assert response.status_code == 401 and response.json() == {"error": "Not logged in"}
    assert client.delete("/api/auth/tokens/1", **headers).status_code == 401


@pytest.mark.django_db
def test_session_post_with_csrf_works(staff_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    client.get("/")  # any page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/customers", {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/jobs/99999999999999999999", "/api/customers/-1", "/api/jobs/abc"]
)
def test_absurd_ids_are_4xx(api_client, staff_user, path):
    response = api_client(staff_user).get(path)
    assert 400 <= response.status_code < 500 and "error" in response.json()


# Five 500s a user could trigger (issue 14.1), each now a 4xx with a JSON error.


@pytest.mark.django_db
def test_a_superscript_digit_as_customer_id_is_an_unknown_customer(api_client, manager):
    # '³'.isdigit() is True but int('³') fails: the id is not a number, so no such customer.
    response = api_client(manager).post("/usage/recalculate_total_usage/2026-11-01/%C2%B3")
    assert response.status_code == 404 and response.json() == {"error": "Invalid customer provided"}


@pytest.mark.django_db
def test_the_simacties_form_with_a_superscript_customer_id_is_refused(client, manager):
    client.force_login(manager)
    response = client.post(
        "/admin/sim-cards/simacties/submit",
        {"customer_id": "³", "action_type": "addons", "addonsAction": "activate"},
    )
    assert (
        response.status_code == 404 and "Klant niet gevonden" in response.content.decode()
    )  # the Dutch page's words


@pytest.mark.django_db
def test_a_range_at_the_end_of_the_calendar_is_400(api_client, staff_user, customer):
    body = {"start_date": "9999-12-01", "end_date": "9999-12-01"}
    response = api_client(staff_user).post(f"/api/partners/{customer.pk}/recalculate", body)
    assert response.status_code == 400 and "error" in response.json()


@pytest.mark.django_db
def test_a_nul_byte_in_a_json_body_is_400_even_unauthenticated(api_client):
    client = api_client()
    client.cookies["django_language"] = "en"
    response = client.post("/api/auth/token", {"username": "admin\u0000", "password": "x"})
    assert response.status_code == 400
    assert response.json() == {"error": "Input may not contain NUL (\\u0000) characters"}


@pytest.mark.django_db
def test_an_escaped_backslash_before_u0000_is_no_nul_byte(api_client):
    # The JSON text `"admin\\u0000"` is the six characters `\u0000`, not a NUL: answered normally.
    response = api_client().post(
        "/api/auth/token", '{"username": "admin\\\\u0000", "password": "x"}'
    )
    assert response.status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/api/rate-plans/biz%00", "/api/customers/1/totals?month=2026-01%00", "/api/customers?x%00=1"],
)
def test_a_nul_byte_in_a_path_or_query_is_400(api_client, staff_user, path):
    response = api_client(staff_user).get(path)
    assert response.status_code == 400 and "NUL" in response.json()["error"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_nul_byte_in_a_form_field_is_400(client, staff_user, content_type):
    from urllib.parse import urlencode

    fields = {"username": "staff\x00", "password": "x"}
    if content_type.startswith("multipart"):
        response = client.post("/login/", fields)
    else:
        response = client.post("/login/", urlencode(fields), content_type=content_type)
    assert response.status_code == 400 and b"NUL" in response.content


def _break_customer_list(monkeypatch):
    import telcost.customers.api

    def broken(user):
        raise RuntimeError("deliberately broken for the test")

    monkeypatch.setattr(telcost.customers.api, "customers_for", broken)


@pytest.fixture
def request_log():
    """What the logging configured in settings writes for django.request (uncaught exceptions)."""
    import io
    import logging

    stream = io.StringIO()
    handlers = [
        h
        for h in logging.getLogger("django.request").handlers
        if isinstance(h, logging.StreamHandler)
    ]
    previous = [handler.setStream(stream) for handler in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


@pytest.mark.django_db
def test_an_uncaught_exception_on_an_api_path_is_a_json_500_and_logged(
    api_client, staff_user, monkeypatch, request_log
):
    _break_customer_list(monkeypatch)
    client = api_client(staff_user)
    client.raise_request_exception = False
    client.cookies["django_language"] = "en"
    response = client.get("/api/customers")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"error": "Internal server error"}
    logged = request_log.getvalue()
    assert "ERROR django.request Internal Server Error: /api/customers" in logged
    assert "Traceback" in logged and "RuntimeError: deliberately broken for the test" in logged


@pytest.mark.django_db
def test_an_uncaught_exception_on_a_page_is_the_styled_500_page(
    client, staff_user, monkeypatch, request_log
):
    import telcost.web.views

    def broken(*args, **kwargs):
        raise RuntimeError("deliberately broken for the test")

    monkeypatch.setattr(telcost.web.views, "render", broken)
    client.raise_request_exception = False
    client.force_login(staff_user)
    response = client.get("/overview/")
    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")
    assert b"telcost.css" in response.content and b"Er ging iets mis" in response.content
    assert "RuntimeError: deliberately broken for the test" in request_log.getvalue()


# Existence probing (issue 14.9): an object of a customer the user may not see answers exactly
# as an object that does not exist: 404 with one text, on every endpoint and page.


@pytest.fixture
def foreign_objects(db, staff_user):
    """Objects of a customer the `outsider` has no membership of, by kind."""
    import datetime as dt

    from telcost.exports.models import ExportJob
    from telcost.jobs.models import Job
    from telcost.syncs.models import SyncProfile, SyncTask
    from tests.factories import CustomerFactory

    other = CustomerFactory(name="Someone else BV")
    job = Job.objects.create(
        kind="recalculate_totals",
        customer=other,
        status="failed",
        params={"cycle_start": "2026-10-01"},
    )
    profile = SyncProfile.objects.create(
        customer=other, name="p", provider="file_drop", settings={"path": "/tmp"}
    )
    task = SyncTask.objects.create(profile=profile, cycle_start=dt.date(2026, 10, 1), job=job)
    export = ExportJob.objects.create(
        customer=other,
        cycle_start_date=dt.date(2026, 10, 1),
        kind="totals",
        format="csv",
        requested_by=staff_user,
        job=job,
    )
    return {
        "customer": other.pk,
        "job": job.pk,
        "profile": profile.pk,
        "task": task.pk,
        "export": export.pk,
    }


MISSING = 987654321
PROBES = [
    ("get", "/api/customers/{customer}", None),
    ("get", "/api/customers/{customer}/addons", None),
    ("get", "/api/customers/{customer}/totals?month=2026-10", None),
    ("get", "/api/customers/{customer}/insights?month=2026-10", None),
    ("get", "/api/customers/{customer}/totals/versions?month=2026-10", None),
    ("get", "/api/customers/{customer}/totals/diff?month=2026-10&a=1&b=2", None),
    ("get", "/api/customers/{customer}/sync-profiles", None),
    ("post", "/api/customers/{customer}/cdr-imports", "FILE"),
    ("post", "/usage/recalculate_total_usage/2026-10-01/{customer}", None),
    ("post", "/simaction/simcard/modify-addons/{customer}", {"addonsAction": "activate"}),
    (
        "post",
        "/api/partners/{customer}/recalculate",
        {"start_date": "2026-10-01", "end_date": "2026-10-01"},
    ),
    (
        "post",
        "/api/exports",
        {"customer_id": "{customer}", "cycle_start_date": "2026-10-01", "kind": "totals"},
    ),
    ("get", "/api/sync-profiles/{profile}", None),
    ("patch", "/api/sync-profiles/{profile}", {"name": "x"}),
    ("delete", "/api/sync-profiles/{profile}", None),
    ("post", "/api/sync-profiles/{profile}/test", None),
    ("post", "/sync-profile/manual-sync", {"sync_profile_id": "{profile}", "date": "2026-10-01"}),
    ("get", "/api/sync-task/{task}/status", None),
    ("get", "/api/jobs/{job}", None),
    ("post", "/api/jobs/{job}/cancel", None),
    ("post", "/api/jobs/{job}/retry-failed", None),
    ("get", "/api/exports/{export}", None),
    ("get", "/download/export/{export}", None),
]


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), PROBES, ids=[f"{m} {p}" for m, p, _ in PROBES])
def test_another_customers_object_is_indistinguishable_from_none(
    api_client, outsider, foreign_objects, method, path, body
):
    client = api_client(outsider)
    missing = dict.fromkeys(foreign_objects, MISSING)
    answers = []
    for ids in (foreign_objects, missing):
        send = getattr(client, method)
        if body == "FILE":
            from django.core.files.uploadedfile import SimpleUploadedFile
            from django.test.client import MULTIPART_CONTENT

            upload = SimpleUploadedFile(
                "cdrs.csv", b"external_id,msisdn\n", content_type="text/csv"
            )
            response = send(_fill(path, ids), {"file": upload}, content_type=MULTIPART_CONTENT)
        else:
            response = send(_fill(path, ids), _fill(body, ids)) if body else send(_fill(path, ids))
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404, answers


PAGES = [
    ("get", "/customers/{customer}/usage/"),
    ("get", "/customers/{customer}/usage/content"),
    ("post", "/customers/{customer}/usage/recalculate"),
    ("get", "/customers/{customer}/usage/diff?a=1&b=2"),
    ("get", "/customers/{customer}/usage/jobs/{job}"),
    ("get", "/customers/{customer}/sync-profiles/"),
    ("post", "/sync-profiles/{profile}/start"),
    ("get", "/customers/{customer}/sync-profiles/new"),
    ("post", "/customers/{customer}/sync-profiles/new"),
    ("get", "/sync-profiles/{profile}/edit"),
    ("post", "/sync-profiles/{profile}/edit"),
    ("post", "/sync-profiles/{profile}/active"),
    ("post", "/sync-profiles/{profile}/delete"),
    ("post", "/sync-profiles/{profile}/test"),
    ("get", "/sync-tasks/{task}/status"),
    ("get", "/admin/cost-centers/{customer}/"),
    ("post", "/customers/{customer}/exports/start"),
    ("get", "/exports/{export}/status"),
    ("get", "/admin/sim-cards/simacties/{customer}/overview"),
    ("get", "/jobs/{job}/"),
    ("get", "/jobs/{job}/status"),
    ("post", "/jobs/{job}/cancel"),
    ("post", "/jobs/{job}/retry-failed"),
    ("get", "/admin/sim-cards/simacties/jobs/{job}"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), PAGES, ids=[f"{m} {p}" for m, p in PAGES])
def test_pages_hide_another_customers_object_like_a_missing_one(
    client, outsider, foreign_objects, method, path
):
    client.force_login(outsider)
    missing = dict.fromkeys(foreign_objects, MISSING)
    statuses = [
        getattr(client, method)(path.format(**ids)).status_code
        for ids in (foreign_objects, missing)
    ]
    assert statuses == [404, 404]


@pytest.mark.django_db
def test_a_customer_one_may_see_but_not_change_is_still_403(api_client, viewer, customer):
    client = api_client(viewer)
    assert (
        client.post(f"/usage/recalculate_total_usage/2026-10-01/{customer.pk}").status_code == 403
    )
    assert (
        client.post(
            f"/simaction/simcard/modify-addons/{customer.pk}", {"addonsAction": "activate"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/partners/{customer.pk}/recalculate",
            {"start_date": "2026-10-01", "end_date": "2026-10-01"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/exports",
            {"customer_id": customer.pk, "cycle_start_date": "2026-10-01", "kind": "totals"},
        ).status_code
        == 403
    )
