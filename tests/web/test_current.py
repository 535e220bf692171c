"""Which customer is current: the page's own, then the switcher's choice, then the first visible;
always VIEW."""

import pytest
from django.test import Client

from telcost.accounts.models import Membership
from telcost.web.current import SESSION_KEY
from tests.factories import CustomerFactory, MembershipFactory, UserFactory


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def menu_customer_id(body: str) -> int | None:
    import re

    match = re.search(r'id="customer-menu".*?href="/customers/(\d+)/usage/"', body, re.S)
    return int(match.group(1)) if match else None


@pytest.fixture
def two_customer_user(db):
    first, second = CustomerFactory(name="Alpha"), CustomerFactory(name="Beta")
    user = UserFactory()
    MembershipFactory(user=user, customer=first)
    MembershipFactory(user=user, customer=second)
    return user, first, second


def test_the_first_visible_customer_is_a_default_not_a_choice(two_customer_user):
    user, first, _second = two_customer_user
    client = logged_in(user)
    assert menu_customer_id(client.get("/overview/").content.decode()) == first.pk
    assert SESSION_KEY not in client.session


def test_visiting_a_customers_page_makes_it_current(two_customer_user):
    user, _first, second = two_customer_user
    client = logged_in(user)
    body = client.get(f"/customers/{second.pk}/usage/").content.decode()
    assert menu_customer_id(body) == second.pk
    assert client.session[SESSION_KEY] == second.pk
    assert menu_customer_id(client.get("/overview/").content.decode()) == second.pk


def test_a_page_of_a_customer_the_user_may_not_view_does_not_become_current(two_customer_user):
    user, first, _second = two_customer_user
    secret = CustomerFactory(name="Secret")
    client = logged_in(user)
    client.get(f"/customers/{secret.pk}/usage/")
    assert client.session.get(SESSION_KEY) != secret.pk
    assert menu_customer_id(client.get("/overview/").content.decode()) == first.pk


def test_a_choice_that_is_no_longer_allowed_is_dropped(two_customer_user):
    user, first, second = two_customer_user
    client = logged_in(user)
    client.post("/switch-customer/", {"customer_id": second.pk, "next": "/overview/"})
    assert menu_customer_id(client.get("/overview/").content.decode()) == second.pk
    Membership.objects.filter(user=user, customer=second).delete()
    body = client.get("/overview/").content.decode()
    assert menu_customer_id(body) == first.pk and "Beta" not in body
    assert client.get("/").url == f"/customers/{first.pk}/usage/"  # now the only one


def test_a_partner_membership_reaches_the_partners_customers(db):
    partner = CustomerFactory(name="Partner")
    kid = CustomerFactory(name="Kid", partner=partner)
    user = UserFactory()
    MembershipFactory(user=user, customer=partner, role="viewer")
    client = logged_in(user)
    assert client.post("/switch-customer/", {"customer_id": kid.pk, "next": "/"}).status_code == 302
    assert client.get("/").url == f"/customers/{kid.pk}/usage/"
