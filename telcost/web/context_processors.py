"""What every page's layout needs: the menus, the switcher's customers, the current customer."""

from telcost.accounts.access import (
    AUDIT,
    READ_RATE_PLAN,
    admin_menu_visible,
    customers_for,
    may,
)
from telcost.web.current import current_customer

# A staff switcher lists at most this many customers; the overview lists them all.
SWITCHER_LIMIT = 500


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    customer = current_customer(request)
    return {
        "current_customer": customer,
        "may_audit_current": customer is not None and may(user, AUDIT, customer),
        # A manager reads the current customer's plan (the admin menu's list is staff's).
        "may_read_current_plan": customer is not None
        and customer.rate_plan_id is not None
        and may(user, READ_RATE_PLAN, customer),
        "switchable_customers": customers_for(user).order_by("name", "pk")[:SWITCHER_LIMIT],
        "show_admin_menu": admin_menu_visible(user),
    }
