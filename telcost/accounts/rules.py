"""Object permissions of SPEC.md, as `rules` predicates behind Django's has_perm.

Use the constants: `user.has_perm(VIEW, customer)`. Staff may do everything.
A membership on a partner applies to each of its customers. An inactive user may nothing.
accounts/access.py asks the same questions for many customers at once (`customers_for`);
change both together (tests/accounts/test_access.py holds them together).
"""

import rules

from telcost.accounts.models import Membership

VIEW = "customers.view"
RECALCULATE = "customers.recalculate"
SYNC = "customers.sync"
EXPORT = "customers.export"
MANAGE_ADDONS = "customers.manage_addons"
AUDIT = "customers.audit"  # read the customer's audit log
READ_RATE_PLAN = "customers.read_rate_plan"  # read the customer's rate plan and its versions
# Edit the customer's master data a manager looks after (SPEC part 2 "Master data"): cost centers,
# assignments, device labels and user names. The rest of a device is staff's.
MASTER_DATA = "customers.master_data"

_RANK = {"viewer": 1, "manager": 2}


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def role_on(user, customer) -> str | None:
    """The strongest role the user has on the customer, directly or through its partner."""
    if customer is None or not _active(user):
        return None
    ids = [customer.pk] + ([customer.partner_id] if customer.partner_id else [])
    roles = Membership.objects.filter(user=user, customer_id__in=ids).values_list("role", flat=True)
    return max(roles, key=lambda r: _RANK.get(r, 0), default=None)


@rules.predicate
def is_staff(user) -> bool:
    return bool(getattr(user, "is_staff", False) and user.is_active)


@rules.predicate
def is_viewer(user, customer) -> bool:
    return role_on(user, customer) in _RANK


@rules.predicate
def is_manager(user, customer) -> bool:
    return role_on(user, customer) == "manager"


@rules.predicate
def is_partner_manager(user, customer) -> bool:
    if customer is None or not customer.partner_id or not _active(user):
        return False
    return Membership.objects.filter(
        user=user, customer_id=customer.partner_id, role="manager"
    ).exists()


rules.add_perm(VIEW, is_staff | is_viewer)
rules.add_perm(RECALCULATE, is_staff | is_manager)
rules.add_perm(SYNC, is_staff | is_manager)
rules.add_perm(EXPORT, is_staff | is_manager)
rules.add_perm(MANAGE_ADDONS, is_staff | is_partner_manager)
rules.add_perm(AUDIT, is_staff | is_manager)
rules.add_perm(READ_RATE_PLAN, is_staff | is_manager)
rules.add_perm(MASTER_DATA, is_staff | is_manager)
