"""The users pages (staff only) and every user's account page, through Django's test client;
tests/browser/test_users.py drives them in a browser."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from telcost.accounts.models import ApiToken, Membership
from telcost.audit.models import AuditEntry
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "Another-secret-77"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/users/",
        "/users/new/",
        "/users/{id}/",
    ],
)
def test_managers_and_viewers_are_refused_the_users_pages(manager, viewer, path):
    for user in (manager, viewer):
        response = logged_in(user).get(path.format(id=viewer.pk))
        assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/users/{id}/memberships/",
        "/users/{id}/memberships/{customer}/remove/",
        "/users/{id}/password-link/",
    ],
)
def test_managers_cannot_post_to_the_users_pages(manager, viewer, customer, path):
    response = logged_in(manager).post(path.format(id=viewer.pk, customer=customer.pk))
    assert response.status_code == 403
    assert Membership.objects.filter(user=viewer, customer=customer).exists()


def test_anonymous_goes_to_the_login_page():
    for path in ("/users/", "/account/"):
        response = Client().get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_search_and_page_the_users(staff_user):
    for n in range(55):
        UserFactory(username=f"person{n:02d}")
    client = logged_in(staff_user)
    body = client.get("/users/").content.decode()
    assert body.count('class="user-row"') == 50 and 'id="users-next"' in body
    body = client.get("/users/", {"page": 2}).content.decode()
    assert body.count('class="user-row"') == 6
    body = client.get("/users/", {"q": "person07"}).content.decode()
    assert body.count('class="user-row"') == 1


def test_staff_create_a_user_with_a_set_password_link_which_works_once(staff_user, customer):
    client = logged_in(staff_user)
    response = client.post(
        "/users/new/",
        {"username": "nieuw", "email": "nieuw@example.test", "password_mode": "link"},
    )
    assert response.status_code == 302
    user = User.objects.get(username="nieuw")
    assert not user.has_usable_password()
    body = client.get(response["Location"]).content.decode()
    link = body.split('id="password-link-value" class="wide" value="')[-1] if False else None

    link = re.search(r'value="(http[^"]+/set-password/[^"]+)"', body).group(1)
    # The link is shown once: not on the next visit.
    assert "set-password/" not in client.get(response["Location"]).content.decode()
    anonymous = Client()
    form = anonymous.get(link, follow=True)
    assert form.status_code == 200 and 'id="set-password-form"' in form.content.decode()
    done = anonymous.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/login/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    again = Client().get(link, follow=True).content.decode()
    assert 'id="set-password-invalid"' in again


def test_a_bad_new_user_is_refused_and_nothing_is_created(staff_user):
    client = logged_in(staff_user)
    before = User.objects.count()
    for data in (
        {"username": "staff", "password_mode": "link"},
        {"username": "bad name!", "password_mode": "link"},
        {"username": "x", "password_mode": "password", "password": "123"},
        {"username": "x", "password_mode": "password"},
        {"username": "x", "password_mode": "link", "email": "nope"},
    ):
        response = client.post("/users/new/", data)
        assert response.status_code == 400, data
        assert 'class="errorlist' in response.content.decode()
    assert User.objects.count() == before


def test_staff_edit_a_user_and_cannot_deactivate_themselves(staff_user, viewer):
    client = logged_in(staff_user)
    response = client.post(f"/users/{viewer.pk}/", {"email": "new@example.test", "is_active": "on"})
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.email == "new@example.test" and viewer.is_active and not viewer.is_staff
    response = client.post(f"/users/{staff_user.pk}/", {"email": "", "is_staff": "on"})
    assert response.status_code == 400
    assert "your own account" in response.content.decode()
    staff_user.refresh_from_db()
    assert staff_user.is_active


def test_staff_add_change_and_remove_memberships(staff_user, viewer, customer):
    other = CustomerFactory(name="Beta BV")
    client = logged_in(staff_user)
    fragment = client.post(
        f"/users/{viewer.pk}/memberships/", {"customer": other.pk, "role": "manager"}
    )
    assert fragment.status_code == 200 and "Beta BV" in fragment.content.decode()
    fragment = client.post(
        f"/users/{viewer.pk}/memberships/", {"customer": customer.pk, "role": "manager"}
    )
    assert sorted(Membership.objects.filter(user=viewer).values_list("customer_id", "role")) == [
        (customer.pk, "manager"),
        (other.pk, "manager"),
    ]
    bad = client.post(f"/users/{viewer.pk}/memberships/", {"customer": 987654, "role": "owner"})
    assert bad.status_code == 400
    client.post(f"/users/{viewer.pk}/memberships/{customer.pk}/remove/")
    assert list(Membership.objects.filter(user=viewer).values_list("customer_id", flat=True)) == [
        other.pk
    ]


def test_a_password_change_ends_the_other_sessions_and_the_tokens(viewer, customer):
    this, other = logged_in(viewer), logged_in(viewer)
    _, raw = ApiToken.issue(viewer, name="script")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert Client().get(f"/api/customers/{customer.pk}", **bearer).status_code == 200
    response = this.post(
        "/account/",
        {
            "old_password": "secret-pass-1",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.check_password(NEW_PASSWORD)
    assert this.get("/account/").status_code == 200  # this session stays
    assert other.get("/account/").status_code == 302  # the other one is logged out
    assert Client().get(f"/api/customers/{customer.pk}", **bearer).status_code == 401
    assert not ApiToken.objects.filter(user=viewer).exists()
    entry = AuditEntry.objects.filter(object_type="user", object_id=viewer.pk).latest("pk")
    assert entry.changes == {"password": ["***", "***"]} and entry.actor == "viewer"


@pytest.mark.parametrize(
    "data",
    [
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        {"old_password": "secret-pass-1", "new_password1": "123", "new_password2": "123"},
        {"old_password": "secret-pass-1", "new_password1": NEW_PASSWORD, "new_password2": "x"},
    ],
)
def test_a_bad_password_change_changes_nothing(viewer, data):
    response = logged_in(viewer).post("/account/", data)
    assert response.status_code == 400
    viewer.refresh_from_db()
    assert viewer.check_password("secret-pass-1")


def test_a_user_creates_and_revokes_tokens_only_their_own(viewer, manager):
    client = logged_in(viewer)
    fragment = client.post("/account/tokens/", {"name": "laptop"}).content.decode()
    token = ApiToken.objects.get(user=viewer)
    assert token.name == "laptop" and 'id="new-token-value"' in fragment
    assert client.post("/account/tokens/", {"name": ""}).status_code == 400
    assert client.post("/account/tokens/", {"name": "x" * 101}).status_code == 400
    assert ApiToken.objects.filter(user=viewer).count() == 1
    # Shown once: the page lists it without the raw token.
    assert 'id="new-token-value"' not in client.get("/account/").content.decode()
    theirs, _ = ApiToken.issue(manager, name="theirs")
    client.post(f"/account/tokens/{theirs.pk}/revoke/")
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert not ApiToken.objects.filter(pk=token.pk).exists()
