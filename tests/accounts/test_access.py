"""accounts/access.py: the set-based "customers this user may …" agrees with has_perm for every
role and right, costs one query whatever the number of customers, and the lookup by id follows
the one 404 / 403 policy."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from telcost.accounts.access import (
    AUDIT,
    CUSTOMER_NOT_FOUND,
    EXPORT,
    MANAGE_ADDONS,
    MASTER_DATA,
    READ_RATE_PLAN,
    RECALCULATE,
    SYNC,
    VIEW,
    customer_for_user,
    customer_id_of,
    customers_for,
    may,
)
from telcost.customers.models import Customer
from tests.factories import CustomerFactory, MembershipFactory, UserFactory

RIGHTS = [VIEW, RECALCULATE, SYNC, EXPORT, MANAGE_ADDONS, AUDIT, MASTER_DATA, READ_RATE_PLAN]


def member(customer, role, user=None):
    user = user or UserFactory()
    MembershipFactory(user=user, customer=customer, role=role)
    return user


@pytest.fixture
def users(db):
    """Two partners with customers, a partner without any, loners; a user for every role."""
    partner, other_partner, empty_partner = (CustomerFactory(name=n) for n in ("P1", "P2", "P3"))
    kids = [CustomerFactory(partner=partner) for _ in range(3)] + [
        CustomerFactory(partner=other_partner)
    ]
    loner, other_loner = CustomerFactory(name="Loner"), CustomerFactory(name="Other loner")
    mixed = member(partner, "viewer")
    member(kids[0], "manager", mixed)  # viewer of the partner, manager of one of its customers
    double = member(kids[3], "manager")
    member(loner, "viewer", double)  # manages one partner's customer, views an unrelated customer
    two_partners = member(partner, "manager")
    member(other_partner, "viewer", two_partners)
    return {
        "anonymous": AnonymousUser(),
        "staff": UserFactory(is_staff=True),
        "inactive staff": UserFactory(is_staff=True, is_active=False),
        "superuser (not staff)": UserFactory(is_superuser=True),
        "partner manager": member(partner, "manager"),
        "manager of a partner without customers": member(empty_partner, "manager"),
        "partner viewer": member(partner, "viewer"),
        "customer manager": member(kids[3], "manager"),
        "customer viewer": member(loner, "viewer"),
        "viewer of the partner, manager of one customer": mixed,
        "manager of one customer, viewer of another": double,
        "manager of one partner, viewer of another": two_partners,
        "no membership": UserFactory(),
        "inactive user": member(partner, "manager", UserFactory(is_active=False)),
        "inactive customer manager": member(other_loner, "manager", UserFactory(is_active=False)),
    }


@pytest.mark.parametrize("right", RIGHTS)
def test_customers_for_agrees_with_has_perm_for_every_role(users, right):
    customers = list(Customer.objects.all())
    for who, user in users.items():
        expected = sorted(c.pk for c in customers if user.has_perm(right, c))
        got = sorted(customers_for(user, right).values_list("pk", flat=True))
        assert got == expected, who
        assert all(may(user, right, c) == (c.pk in got) for c in customers), who


def test_the_fixture_covers_both_answers_for_every_right(users):
    # The parity test above means something only if each right is granted and refused somewhere.
    for right in RIGHTS:
        counts = {who: customers_for(user, right).count() for who, user in users.items()}
        assert any(counts.values()) and not all(counts.values()), right


@pytest.mark.parametrize("right", RIGHTS)
def test_customers_for_is_one_query_whatever_the_number_of_customers(
    users, right, django_assert_num_queries
):
    partner = Customer.objects.get(name="P1")
    for _ in range(30):
        CustomerFactory(partner=partner)
    for user in users.values():
        with django_assert_num_queries(0 if user.is_anonymous or not user.is_active else 1):
            list(customers_for(user, right))


PAGES_THAT_LIST_CUSTOMERS = [
    "/admin/sim-cards/simacties/",
    "/admin/cost-centers/",
    "/admin/syncs/recalculate-totals/",
]


@pytest.mark.parametrize("url", PAGES_THAT_LIST_CUSTOMERS)
def test_pages_that_list_customers_cost_no_query_per_customer(
    client, db, url, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    partner = CustomerFactory(name="Partner")
    CustomerFactory(partner=partner)
    client.force_login(member(partner, "manager"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(30):
        CustomerFactory(partner=partner, name=f"Many {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200 and "Many 29" in response.content.decode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (12, 12),
        ("0012", 12),
        ("", None),
        (None, None),
        ("x", None),
        ("-1", None),
        (" 1", None),
        ("1.0", None),
        ("³", None),
        ("٣", None),
        ("１２", None),
    ],
)
def test_only_ascii_digits_name_a_customer(text, expected):
    assert customer_id_of(text) == expected


def test_a_customer_out_of_range_or_unnamed_is_not_found(users):
    staff = users["staff"]
    for customer_id in (None, 2**63, 10**30):
        with pytest.raises(Http404, match=CUSTOMER_NOT_FOUND):
            customer_for_user(user=staff, customer_id=customer_id)


def test_the_lookup_hides_what_the_user_may_not_view_and_refuses_what_they_may_not_do(users):
    kid = Customer.objects.filter(partner__name="P1").order_by("pk").first()
    viewer, outsider = users["partner viewer"], users["no membership"]
    assert customer_for_user(user=viewer, customer_id=kid.pk) == kid
    with pytest.raises(PermissionDenied, match="Unauthorized"):
        customer_for_user(user=viewer, customer_id=kid.pk, right=EXPORT)
    for customer_id in (kid.pk, 987654321):
        with pytest.raises(Http404, match="Sync profile not found"):
            customer_for_user(
                user=outsider,
                customer_id=customer_id,
                right=EXPORT,
                not_found="Sync profile not found",
            )
