"""GET /api/users and PATCH /api/users/{id}: staff only, memberships replaced as a whole, bad
input refused with nothing changed, no self-lockout, and a deactivated user is locked out."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from telcost.accounts.models import ApiToken, Membership
from telcost.audit.models import AuditEntry
from tests.factories import CustomerFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def patch(client, path, body):
    return client.generic(
        "PATCH",
        path,
        data=__import__("json").dumps(body),
        content_type="application/json",
        **client._auth({}),
    )


def memberships_of(user) -> list[tuple[int, str]]:
    return sorted(Membership.objects.filter(user=user).values_list("customer_id", "role"))


def test_staff_lists_users_with_their_memberships_paged(api_client, staff_user, customer, viewer):
    other = CustomerFactory(name="Beta BV")
    MembershipFactory(user=viewer, customer=other, role="manager")
    client = api_client(staff_user)
    body = client.get("/api/users", {"page_size": 2}).json()
    assert body["count"] == 2 and body["page"] == 1 and body["page_size"] == 2
    assert [u["username"] for u in body["items"]] == ["staff", "viewer"]
    listed = body["items"][1]
    assert listed["is_active"] and not listed["is_staff"]
    assert listed["email"] == "viewer@example.test"
    assert sorted((m["customer_name"], m["role"]) for m in listed["memberships"]) == [
        ("Acme BV", "viewer"),
        ("Beta BV", "manager"),
    ]
    assert "password" not in listed
    assert client.get("/api/users", {"q": "VIEW"}).json()["count"] == 1
    assert client.get("/api/users", {"page": 9}).json()["items"] == []


@pytest.mark.parametrize(("method", "path"), [("get", "/api/users"), ("patch", "/api/users/{id}")])
@pytest.mark.parametrize(("who", "status"), [("manager", 403), ("viewer", 403), (None, 401)])
def test_only_staff_reads_and_changes_users(
    request, api_client, manager, viewer, method, path, who, status
):
    client = api_client(request.getfixturevalue(who) if who else None)
    target = path.format(id=viewer.pk)
    if method == "get":
        response = client.get(target)
    else:
        response = patch(client, target, {"is_staff": True})
    assert response.status_code == status, response.content
    assert "error" in response.json()
    viewer.refresh_from_db()
    assert not viewer.is_staff


def test_staff_changes_a_user_and_replaces_the_memberships(
    api_client, staff_user, customer, viewer
):
    beta, gamma = CustomerFactory(name="Beta BV"), CustomerFactory(name="Gamma BV")
    MembershipFactory(user=viewer, customer=beta, role="viewer")
    response = patch(
        api_client(staff_user),
        f"/api/users/{viewer.pk}",
        {
            "email": "v@example.test",
            "is_staff": True,
            "memberships": [
                {"customer_id": beta.pk, "role": "manager"},
                {"customer_id": gamma.pk, "role": "viewer"},
            ],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["email"] == "v@example.test" and body["is_staff"] and body["is_active"]
    assert sorted((m["customer_id"], m["role"]) for m in body["memberships"]) == [
        (beta.pk, "manager"),
        (gamma.pk, "viewer"),
    ]
    assert memberships_of(viewer) == [(beta.pk, "manager"), (gamma.pk, "viewer")]
    # Each membership change is in the audit log: Acme's removed, Beta's role, Gamma's new.
    entries = AuditEntry.objects.filter(object_type="membership").order_by("pk")
    actions = [(e.action, e.customer_id) for e in entries.filter(actor="staff")]
    assert sorted(actions) == sorted(
        [("deleted", customer.pk), ("changed", beta.pk), ("created", gamma.pk)]
    )
    changed = entries.get(actor="staff", action="changed")
    assert changed.changes == {"role": ["viewer", "manager"]}
    user_entry = AuditEntry.objects.filter(object_type="user", object_id=viewer.pk).latest("pk")
    assert user_entry.actor == "staff"
    assert user_entry.changes == {
        "email": ["viewer@example.test", "v@example.test"],
        "is_staff": [False, True],
    }


def test_fields_left_out_stay_as_they_are(api_client, staff_user, customer, viewer):
    response = patch(api_client(staff_user), f"/api/users/{viewer.pk}", {"is_active": True})
    assert response.status_code == 200
    assert memberships_of(viewer) == [(customer.pk, "viewer")]
    assert response.json()["email"] == "viewer@example.test"
    response = patch(api_client(staff_user), f"/api/users/{viewer.pk}", {"memberships": []})
    assert response.status_code == 200 and memberships_of(viewer) == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"memberships": [{"customer_id": 987654, "role": "viewer"}]}, "987654"),
        ({"memberships": [{"customer_id": "CUSTOMER", "role": "viewer"}]}, "customer_id"),
        ({"memberships": [{"customer_id": 0, "role": "viewer"}]}, "customer_id"),
        ({"memberships": [{"role": "viewer"}]}, "customer_id"),
        ({"memberships": [{"customer_id": "{customer}", "role": "owner"}]}, "role"),
        (
            {
                "memberships": [
                    {"customer_id": "{customer}", "role": "viewer"},
                    {"customer_id": "{customer}", "role": "manager"},
                ]
            },
            "one membership per customer",
        ),
        ({"memberships": "all"}, "memberships"),
        ({"email": "not an address"}, "email"),
        ({"email": "x" * 300}, "email"),
        ({"is_active": "maybe"}, "is_active"),
        ({"is_staff": [1]}, "is_staff"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    api_client, staff_user, customer, viewer, body, fragment
):
    import json

    body = json.loads(json.dumps(body).replace('"{customer}"', str(customer.pk)))
    body.setdefault("is_staff", True)  # would change, were the request accepted
    before = list(AuditEntry.objects.values_list("pk", flat=True))
    response = patch(api_client(staff_user), f"/api/users/{viewer.pk}", body)
    assert response.status_code == 400, response.content
    assert fragment in response.json()["error"]
    viewer.refresh_from_db()
    assert not viewer.is_staff and viewer.email == "viewer@example.test"
    assert memberships_of(viewer) == [(customer.pk, "viewer")]
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == before


@pytest.mark.parametrize("user_id", [987654, 2**63, 2**70])
def test_an_unknown_user_is_404(api_client, staff_user, user_id):
    response = patch(api_client(staff_user), f"/api/users/{user_id}", {"is_staff": True})
    assert response.status_code in (400, 404), response.content
    assert "error" in response.json()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [({"is_active": False}, "is_active"), ({"is_staff": False}, "is_staff")],
)
def test_staff_cannot_lock_themselves_out(api_client, staff_user, body, fragment):
    response = patch(api_client(staff_user), f"/api/users/{staff_user.pk}", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith(fragment) and "your own" in error
    staff_user.refresh_from_db()
    assert staff_user.is_active and staff_user.is_staff


def test_another_staff_member_may_be_unstaffed_and_deactivated(api_client, staff_user):
    colleague = UserFactory(username="colleague", is_staff=True)
    response = patch(
        api_client(staff_user),
        f"/api/users/{colleague.pk}",
        {"is_staff": False, "is_active": False},
    )
    assert response.status_code == 200
    colleague.refresh_from_db()
    assert not colleague.is_staff and not colleague.is_active


def test_a_deactivated_users_token_and_session_are_refused(
    api_client, staff_user, customer, viewer
):
    token_client = api_client(viewer)
    session = Client()
    session.force_login(viewer)
    path = f"/api/customers/{customer.pk}"
    assert token_client.get(path).status_code == 200
    assert session.get(path).status_code == 200
    assert session.get(f"/customers/{customer.pk}/usage/").status_code == 200

    response = patch(api_client(staff_user), f"/api/users/{viewer.pk}", {"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False

    assert token_client.get(path).status_code == 401
    assert session.get(path).status_code == 401
    # The pages send a session of an inactive user to the login page.
    page = session.get(f"/customers/{customer.pk}/usage/")
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert not ApiToken.objects.filter(user=viewer).exists()
    # Reactivated, the user logs in again; the old token stays dead.
    patch(api_client(staff_user), f"/api/users/{viewer.pk}", {"is_active": True})
    assert token_client.get(path).status_code == 401


def test_the_token_check_itself_refuses_an_inactive_user(customer, viewer):
    """Even a token left in the database (deactivated through Django's admin, say) is refused."""
    from telcost.accounts.services import api_token_authenticate

    _, raw = ApiToken.issue(viewer)
    assert api_token_authenticate(raw) == viewer
    User.objects.filter(pk=viewer.pk).update(is_active=False)
    assert api_token_authenticate(raw) is None
    session = Client()
    session.force_login(viewer)
    assert session.get(f"/api/customers/{customer.pk}").status_code == 401


def test_creating_a_user_is_audited_without_the_password(api_client, staff_user, customer):
    response = api_client(staff_user).post(
        "/api/users",
        {
            "username": "anna",
            "password": "Very-secret-42",
            "memberships": [{"customer_id": customer.pk, "role": "viewer"}],
        },
    )
    assert response.status_code == 201
    entry = AuditEntry.objects.get(object_type="user", object_id=response.json()["id"])
    assert entry.action == "created" and entry.actor == "staff"
    assert entry.changes["password"] == [None, "***"]
    assert "Very-secret-42" not in str(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert AuditEntry.objects.filter(
        object_type="membership", action="created", customer_id=customer.pk
    ).exists()


def test_the_token_list_has_the_spec_fields(api_client, viewer):
    client = api_client(viewer)
    items = client.get("/api/auth/tokens").json()
    assert len(items) == 1
    assert set(items[0]) == {"id", "name", "created_at", "last_used_at", "expires_at"}
