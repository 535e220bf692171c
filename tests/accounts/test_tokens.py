"""API tokens expire, die with a password change, and can be listed and revoked by their owner."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from telcost.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def issue(client, username="staff", password="secret-pass-1", **extra):
    response = client.post(
        "/api/auth/token",
        {"username": username, "password": password, **extra},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def whoami(client, token, customer):
    return client.get(f"/api/customers/{customer.pk}", **bearer(token)).status_code


def test_a_token_expires_after_the_configured_days(client, settings, staff_user, customer):
    settings.API_TOKEN_DAYS = 30
    answer = issue(client)
    token = ApiToken.objects.get()
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(
        minutes=1
    )
    assert abs(dt.datetime.fromisoformat(answer["expires_at"]) - token.expires_at) < dt.timedelta(
        milliseconds=1
    )
    assert whoami(client, answer["token"], customer) == 200
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert whoami(client, answer["token"], customer) == 401


def test_a_password_change_ends_every_token_of_the_user(client, staff_user, customer):
    first, second = issue(client)["token"], issue(client)["token"]
    assert whoami(client, first, customer) == 200
    staff_user.set_password("A-new-pass-2026")
    staff_user.save()
    assert whoami(client, first, customer) == 401 and whoami(client, second, customer) == 401
    fresh = issue(client, password="A-new-pass-2026")["token"]
    assert whoami(client, fresh, customer) == 200
    listed = client.get("/api/auth/tokens", **bearer(fresh)).json()
    assert [t["id"] for t in listed] == [ApiToken.objects.latest("pk").pk], (
        "dead tokens are not listed"
    )


def test_own_tokens_are_listed_with_their_names_and_dates(client, staff_user, manager):
    named = issue(client, name="backup script")
    issue(client)
    issue(client, username="manager")
    listed = client.get("/api/auth/tokens", **bearer(named["token"]))
    assert listed.status_code == 200
    rows = listed.json()
    assert [r["name"] for r in rows] == ["backup script", ""]
    assert set(rows[0]) == {"id", "name", "created_at", "last_used_at", "expires_at"}
    assert (
        rows[0]["id"] == named["id"]
        and rows[0]["last_used_at"] is not None
        and rows[1]["last_used_at"] is None
    )
    assert "token" not in str(rows) and named["token"] not in str(rows)


def test_a_revoked_token_stops_working_and_others_tokens_are_not_found(
    client, staff_user, manager, customer
):
    keep, revoke = issue(client, name="keep"), issue(client, name="revoke")
    theirs = issue(client, username="manager")
    gone = client.delete(f"/api/auth/tokens/{revoke['id']}", **bearer(keep["token"]))
    assert gone.status_code == 204
    assert (
        whoami(client, revoke["token"], customer) == 401
        and whoami(client, keep["token"], customer) == 200
    )
    for token_id in (theirs["id"], revoke["id"], 987654321, 2**63):
        answer = client.delete(f"/api/auth/tokens/{token_id}", **bearer(keep["token"]))
        assert answer.status_code == 404 and answer.json() == {"error": "Token not found"}, token_id
    assert whoami(client, theirs["token"], customer) == 200
    assert client.get("/api/auth/tokens").status_code == 401


def test_a_session_user_lists_and_revokes_tokens_too(client, staff_user):
    from django.test import Client

    made = issue(client)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    assert [t["id"] for t in browser.get("/api/auth/tokens").json()] == [made["id"]]
    assert browser.delete(f"/api/auth/tokens/{made['id']}").status_code == 403, (
        "CSRF is enforced for sessions"
    )
    assert ApiToken.objects.filter(pk=made["id"]).exists()


@pytest.mark.parametrize("name", ["x" * 101, 5])
def test_a_bad_token_name_is_400(client, staff_user, name):
    response = client.post(
        "/api/auth/token",
        {"username": "staff", "password": "secret-pass-1", "name": name},
        content_type="application/json",
    )
    assert response.status_code == 400 and "name" in response.json()["error"]
    assert not ApiToken.objects.exists()


def test_last_used_at_is_written_at_most_once_a_minute(client, staff_user, customer):
    token = issue(client)["token"]
    assert whoami(client, token, customer) == 200
    first_use = ApiToken.objects.get().last_used_at
    assert first_use is not None
    with CaptureQueriesContext(connection) as queries:
        assert whoami(client, token, customer) == 200
    assert not [q for q in queries if "UPDATE" in q["sql"] and "accounts_apitoken" in q["sql"]]
    assert ApiToken.objects.get().last_used_at == first_use
    ApiToken.objects.update(last_used_at=first_use - dt.timedelta(seconds=61))
    assert whoami(client, token, customer) == 200
    assert ApiToken.objects.get().last_used_at > first_use
