"""Who may do what with which customer: the one access check of the API and the pages.

The policy, for every endpoint and page that loads something by id: an object of a customer the
user may not VIEW is a 404 with the same text as an object that does not exist (ids cannot be
probed); a customer the user may view but not act on is a 403 "Unauthorized". The API turns
Http404 and PermissionDenied into its JSON errors (telcost/api.py); htmx views that answer with a
fragment catch them and render it.

`may` asks accounts/rules.py (has_perm) about one customer; `customers_for` asks the same
question about all customers with one query. Both follow the same predicates, and
tests/accounts/test_access.py holds them together for every role and right.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from telcost.accounts.models import Membership
from telcost.accounts.rules import (
    AUDIT,
    EXPORT,
    MANAGE_ADDONS,
    MASTER_DATA,
    READ_RATE_PLAN,
    RECALCULATE,
    SYNC,
    VIEW,
    is_staff,
)
from telcost.customers.models import Customer, RatePlan
from telcost.customers.services import DEVICE_FIELDS_MANAGER, DEVICE_FIELDS_STAFF

__all__ = [
    "AUDIT",
    "CUSTOMER_NOT_FOUND",
    "EXPORT",
    "MANAGE_ADDONS",
    "MASTER_DATA",
    "READ_RATE_PLAN",
    "RECALCULATE",
    "SYNC",
    "VIEW",
    "admin_menu_visible",
    "customer_for_user",
    "customer_id_of",
    "customers_for",
    "device_fields_editable",
    "may",
    "rate_plan_for_user",
    "rate_plans_for",
    "require_right",
    "require_staff",
]

CUSTOMER_NOT_FOUND = "Customer not found"
RATE_PLAN_NOT_FOUND = "Rate plan not found"

# The roles that grant each right: on the customer itself or on its partner ("either"), or only
# on its partner ("partner"); staff have every right. The same as the predicates of rules.py.
_GRANTS = {
    VIEW: (("viewer", "manager"), "either"),
    RECALCULATE: (("manager",), "either"),
    SYNC: (("manager",), "either"),
    EXPORT: (("manager",), "either"),
    MANAGE_ADDONS: (("manager",), "partner"),
    AUDIT: (("manager",), "either"),
    READ_RATE_PLAN: (("manager",), "either"),
    MASTER_DATA: (("manager",), "either"),
}


def customer_id_of(text: str | int | None) -> int | None:
    """The customer id a path segment or form field names, or None: only ASCII digits are an id.

    str.isdigit() also accepts '³' or '٣', which int() refuses; out-of-range ids match nothing.
    """
    if isinstance(text, int):
        return text
    if not text or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def may(user, right: str, customer: Customer) -> bool:
    """Whether the user has `right` on the customer (for one customer; flags in templates)."""
    return user.has_perm(right, customer)


def require_right(
    *, user, customer: Customer | None, right: str = VIEW, not_found: str = CUSTOMER_NOT_FOUND
) -> None:
    """The policy for anything loaded by id (a customer, or a profile, task or export of one):
    Http404(not_found) unless the user may VIEW its customer, PermissionDenied without `right`."""
    if customer is None or not may(user, VIEW, customer):
        raise Http404(not_found)
    if right != VIEW and not may(user, right, customer):
        raise PermissionDenied("Unauthorized")


def customer_for_user(
    *,
    user,
    customer_id: int | None,
    right: str = VIEW,
    queryset: QuerySet[Customer] | None = None,
    not_found: str = CUSTOMER_NOT_FOUND,
) -> Customer:
    """The customer by id (None: no id, as customer_id_of answers) under require_right's policy."""
    customer = None
    if customer_id is not None:
        customer = (
            (Customer.objects.all() if queryset is None else queryset)
            .filter(pk=customer_id)
            .first()
        )
    require_right(user=user, customer=customer, right=right, not_found=not_found)
    return customer


def customers_for(user, right: str = VIEW) -> QuerySet[Customer]:
    """The customers on which the user has `right`, as one query whatever their number.

    Active staff (and superusers, as has_perm answers) have all; an inactive or anonymous user
    none; others those their memberships grant, directly or through a partner.
    """
    roles, reach = _GRANTS[right]
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Customer.objects.none()
    if user.is_staff or user.is_superuser:
        return Customer.objects.all()
    granting = Membership.objects.filter(user=user, role__in=roles).values("customer_id")
    if reach == "partner":
        return Customer.objects.filter(partner_id__in=granting)
    return Customer.objects.filter(Q(pk__in=granting) | Q(partner_id__in=granting))


def require_staff(user) -> None:
    if not user.is_staff:
        raise PermissionDenied("Unauthorized")


def admin_menu_visible(user) -> bool:
    """Staff, and managers of partners (they recalculate and manage addons for their customers)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(
        user=user, role="manager", customer__children__isnull=False
    ).exists()


def imports_own_devices_only(user) -> bool:
    """Whether a CDR import by this user may touch only the customer's own devices: a manager's
    may not create devices or move them from another customer; staff's may."""
    return not is_staff(user)


def rate_plans_for(user, right: str = READ_RATE_PLAN) -> QuerySet[RatePlan]:
    """The plans the user may read: staff all (a plan no customer is on yet too), others the
    plans of the customers on which they have `right`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return RatePlan.objects.none()
    if user.is_staff or user.is_superuser:
        return RatePlan.objects.all()
    return RatePlan.objects.filter(pk__in=customers_for(user, right).values("rate_plan_id"))


def rate_plan_for_user(*, user, code: str, right: str = READ_RATE_PLAN) -> RatePlan:
    """The plan by code under the one policy: Http404 unless it is a plan of a customer the user
    may VIEW (staff: any plan), PermissionDenied when the user sees it but lacks `right`."""
    visible = rate_plans_for(user, VIEW).filter(code=code).first()
    if visible is None:
        raise Http404(RATE_PLAN_NOT_FOUND)
    if right != VIEW and not rate_plans_for(user, right).filter(pk=visible.pk).exists():
        raise PermissionDenied("Unauthorized")
    return visible


def device_fields_editable(user, customer: Customer) -> frozenset[str]:
    """Which fields of the customer's devices the user may change: staff all, a manager (of the
    customer or its partner) the label and user name, anyone else none."""
    if is_staff(user):
        return DEVICE_FIELDS_STAFF
    if may(user, MASTER_DATA, customer):
        return DEVICE_FIELDS_MANAGER
    return frozenset()
