"""Guessing passwords is throttled per username and per address, on the login page and on
POST /api/auth/token: 429 with Retry-After, and the right password waits too."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from telcost.accounts.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 10
    settings.LOGIN_FAILURES_PER_ADDRESS = 30
    settings.LOGIN_THROTTLE_SECONDS = 900
    return settings


def token_request(username, password, address="10.0.0.1", **extra):
    return Client(REMOTE_ADDR=address).post(
        "/api/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


def page_login(username, password, address="10.0.0.1", language=None):
    client = Client(REMOTE_ADDR=address)
    if language:
        client.cookies["django_language"] = language
    return client.post("/login/", {"username": username, "password": password})


def test_two_hundred_wrong_passwords_then_the_right_one_is_refused(limits, staff_user):
    statuses = [token_request("staff", f"guess-{n}").status_code for n in range(200)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    right = token_request("staff", "secret-pass-1")
    assert right.status_code == 429 and not ApiToken.objects.exists()
    assert 850 <= int(right["Retry-After"]) <= 900
    assert right.json() == {
        "error": f"Too many failed logins; try again in {right['Retry-After']} seconds"
    }


def test_the_login_page_is_throttled_and_says_how_long_to_wait(limits, staff_user):
    for n in range(10):
        assert page_login("staff", f"guess-{n}").status_code == 200
    dutch = page_login("staff", "secret-pass-1")
    assert dutch.status_code == 429 and 850 <= int(dutch["Retry-After"]) <= 900
    assert (
        "Te veel mislukte inlogpogingen. Probeer het over 15 minuten opnieuw."
        in dutch.content.decode()
    )
    english = page_login("staff", "secret-pass-1", language="en")
    assert "Too many failed logins. Try again in 15 minutes." in english.content.decode()
    assert "_auth_user_id" not in english.client.session


def test_the_page_and_the_api_share_one_count(limits, staff_user):
    for n in range(5):
        page_login("staff", f"guess-{n}")
    for n in range(5):
        assert token_request("staff", f"guess-{n}").status_code == 401
    assert token_request("staff", "secret-pass-1").status_code == 429


def test_one_address_trying_many_usernames_is_throttled(limits, staff_user):
    for n in range(30):
        assert token_request(f"user{n}", "guess").status_code == 401
    assert token_request("staff", "secret-pass-1").status_code == 429
    assert token_request("staff", "secret-pass-1", address="10.0.0.2").status_code == 200


def test_one_username_tried_from_many_addresses_is_throttled(limits, staff_user):
    for n in range(10):
        assert token_request("staff", "guess", address=f"10.0.1.{n}").status_code == 401
    assert token_request("staff", "secret-pass-1", address="10.0.2.1").status_code == 429
    assert token_request("STAFF", "guess", address="10.0.2.1").status_code == 429, (
        "usernames compare caseless"
    )
    assert page_login("staff", "secret-pass-1", address="10.0.2.2").status_code == 429


def test_a_right_password_before_the_limit_clears_the_username_count(limits, staff_user):
    for n in range(9):
        token_request("staff", f"guess-{n}")
    assert token_request("staff", "secret-pass-1").status_code == 200
    for n in range(9):
        assert token_request("staff", f"guess-{n}").status_code == 401
    assert token_request("staff", "secret-pass-1").status_code == 200


def test_the_wait_ends_after_the_window(limits, staff_user):
    for n in range(10):
        token_request("staff", f"guess-{n}")
    assert token_request("staff", "secret-pass-1").status_code == 429
    from telcost.accounts.models import LoginThrottle

    LoginThrottle.objects.update(window_started_at=timezone.now() - dt.timedelta(seconds=901))
    assert token_request("staff", "secret-pass-1").status_code == 200


def test_behind_a_proxy_the_forwarded_address_counts(limits, staff_user):
    limits.BEHIND_PROXY = True
    for n in range(30):
        token_request(
            f"user{n}", "guess", address="10.9.9.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.3.0"
        )
    assert (
        token_request(
            "staff", "secret-pass-1", address="10.9.9.9", HTTP_X_FORWARDED_FOR="10.0.3.7"
        ).status_code
        == 200
    ), "the proxy's own address is not blamed"
    assert (
        token_request(
            "staff", "secret-pass-1", address="10.9.9.9", HTTP_X_FORWARDED_FOR="10.0.3.0"
        ).status_code
        == 429
    )


def test_usernames_are_counted_without_storing_them(limits, db):
    from telcost.accounts.models import LoginThrottle

    UserFactory(username="anna")
    token_request("Anna-\u00e9" * 20, "guess")
    token_request("anna", "guess")
    assert LoginThrottle.objects.count() == 3
    assert not LoginThrottle.objects.filter(key__contains="anna").exists()


def test_the_database_admin_logs_in_through_the_throttled_page(limits, staff_user, manager):
    client = Client()
    answer = client.post(
        "/django-admin/login/?next=/django-admin/",
        {"username": "staff", "password": "secret-pass-1", "next": "/django-admin/"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/login/?next=%2Fdjango-admin%2F"
    assert "_auth_user_id" not in client.session, "no second, unthrottled login form"
    assert client.get("/django-admin/").url.startswith("/django-admin/login/")
    client.force_login(
        manager
    )  # logged in, not staff: no redirect loop between the two login pages
    assert client.get("/django-admin/login/?next=/django-admin/")["Location"] == "/"


def test_ended_windows_and_expired_tokens_are_cleaned_up_by_the_workers(limits, staff_user):
    from telcost.accounts.models import LoginThrottle
    from telcost.accounts.timers import clean_up_logins

    token_request("staff", "guess", address="10.0.0.1")
    token_request("other", "guess", address="10.0.0.2")
    LoginThrottle.objects.filter(
        pk__in=LoginThrottle.objects.order_by("pk").values("pk")[:2]
    ).update(window_started_at=timezone.now() - dt.timedelta(seconds=901))
    live, _ = ApiToken.issue(staff_user)
    expired, _ = ApiToken.issue(staff_user)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    clean_up_logins()
    assert LoginThrottle.objects.count() == 2
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [live.pk]
