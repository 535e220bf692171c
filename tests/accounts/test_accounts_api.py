import pytest
from django.contrib.auth import get_user_model

from telcost.accounts.models import Membership


@pytest.mark.django_db
def test_a_token_authenticates_api_calls(client, staff_user, customer):
    response = client.post(
        "/api/auth/token",
        {"username": "staff", "password": "secret-pass-1"},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    got = client.get(f"/api/customers/{customer.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert got.status_code == 200 and got.json()["name"] == "Acme BV"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "staff", "password": "wrong"}, 401),
        ({"username": "nobody", "password": "x"}, 401),
        ({"username": "staff"}, 400),
        ({}, 400),
        ({"username": ["a"], "password": 1}, 400),
    ],
)
def test_bad_logins_are_refused(client, staff_user, body, status):
    response = client.post("/api/auth/token", body, content_type="application/json")
    assert response.status_code == status
    assert "error" in response.json()


@pytest.mark.django_db
def test_a_wrong_token_is_401(client, customer):
    response = client.get(f"/api/customers/{customer.pk}", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401 and response.json() == {"error": "Not logged in"}


@pytest.mark.django_db
def test_staff_creates_a_user_with_memberships(api_client, staff_user, customer):
    response = api_client(staff_user).post(
        "/api/users",
        {
            "username": "anna",
            "password": "Very-secret-42",
            "is_staff": False,
            "memberships": [{"customer_id": customer.pk, "role": "manager"}],
        },
    )
    assert response.status_code == 201
    user = get_user_model().objects.get(pk=response.json()["id"])
    assert user.check_password("Very-secret-42") and not user.is_staff
    assert Membership.objects.get(user=user).role == "manager"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"username": "staff", "password": "Very-secret-42"}, 409, "taken"),
        ({"username": "bob", "password": "123"}, 400, "password"),
        (
            {
                "username": "bob",
                "password": "Very-secret-42",
                "memberships": [{"customer_id": 987654, "role": "viewer"}],
            },
            400,
            "unknown customer",
        ),
        (
            {
                "username": "bob",
                "password": "Very-secret-42",
                "memberships": [{"customer_id": 1, "role": "owner"}],
            },
            400,
            "role",
        ),
        ({"username": "bad name!", "password": "Very-secret-42"}, 400, "username"),
    ],
)
def test_bad_users_are_refused_and_nothing_is_created(
    api_client, staff_user, body, status, fragment
):
    before = get_user_model().objects.count()
    response = api_client(staff_user).post("/api/users", body)
    assert response.status_code == status, response.content
    assert fragment in response.json()["error"]
    assert get_user_model().objects.count() == before


@pytest.mark.django_db
def test_only_staff_creates_users(api_client, manager):
    assert (
        api_client(manager)
        .post("/api/users", {"username": "x", "password": "Very-secret-42"})
        .status_code
        == 403
    )
    assert (
        api_client().post("/api/users", {"username": "x", "password": "Very-secret-42"}).status_code
        == 401
    )


@pytest.mark.django_db
def test_createsuperuser_noinput_bootstraps_staff(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Boot-strap-99")
    call_command("createsuperuser", "--noinput", "--email", "root@example.test")
    user = get_user_model().objects.get(username="root")
    assert user.is_staff and user.is_superuser and user.check_password("Boot-strap-99")
