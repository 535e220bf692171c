"""Every permission of SPEC.md for every kind of user, including partner inheritance."""

import pytest
from django.contrib.auth.models import AnonymousUser

from telcost.accounts.rules import EXPORT, MANAGE_ADDONS, RECALCULATE, SYNC, VIEW
from tests.factories import CustomerFactory, MembershipFactory, UserFactory

ALL = [VIEW, RECALCULATE, SYNC, EXPORT, MANAGE_ADDONS]


@pytest.fixture
def world(db):
    partner = CustomerFactory(name="Partner")
    child = CustomerFactory(name="Child", partner=partner)
    other = CustomerFactory(name="Other")

    def member(role, customer):
        user = UserFactory()
        MembershipFactory(user=user, customer=customer, role=role)
        return user

    return {
        "partner": partner,
        "child": child,
        "other": other,
        "anonymous": AnonymousUser(),
        "outsider": UserFactory(),
        "viewer": member("viewer", child),
        "manager": member("manager", child),
        "partner_viewer": member("viewer", partner),
        "partner_manager": member("manager", partner),
        "staff": UserFactory(is_staff=True),
        "inactive_staff": UserFactory(is_staff=True, is_active=False),
    }


EXPECTED_ON_CHILD = {
    "anonymous": set(),
    "outsider": set(),
    "viewer": {VIEW},
    "manager": {VIEW, RECALCULATE, SYNC, EXPORT},
    "partner_viewer": {VIEW},
    "partner_manager": {VIEW, RECALCULATE, SYNC, EXPORT, MANAGE_ADDONS},
    "staff": set(ALL),
    "inactive_staff": set(),
}


@pytest.mark.parametrize("who", sorted(EXPECTED_ON_CHILD))
def test_permissions_on_a_partners_customer(world, who):
    user = world[who]
    granted = {perm for perm in ALL if user.has_perm(perm, world["child"])}
    assert granted == EXPECTED_ON_CHILD[who]


@pytest.mark.parametrize("who", ["viewer", "manager", "partner_viewer", "partner_manager"])
def test_no_permission_on_an_unrelated_customer(world, who):
    assert not any(world[who].has_perm(perm, world["other"]) for perm in ALL)


def test_a_membership_on_a_customer_does_not_reach_its_partner(world):
    assert not world["manager"].has_perm(VIEW, world["partner"])


def test_a_partner_manager_manages_the_partner_itself_but_not_its_addons(world):
    user = world["partner_manager"]
    assert user.has_perm(RECALCULATE, world["partner"])
    # MANAGE_ADDONS is for staff or the manager of the customer's partner; the partner has none.
    assert not user.has_perm(MANAGE_ADDONS, world["partner"])


def test_a_manager_of_a_customer_cannot_manage_its_addons(world):
    assert not world["manager"].has_perm(MANAGE_ADDONS, world["child"])


def test_an_inactive_member_may_nothing(world):
    # An inactive account cannot log in; its memberships grant nothing either, as for staff.
    user = UserFactory(is_active=False)
    MembershipFactory(user=user, customer=world["partner"], role="manager")
    for customer in (world["partner"], world["child"]):
        assert not any(user.has_perm(perm, customer) for perm in ALL)
