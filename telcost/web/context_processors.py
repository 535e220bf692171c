"""What every page's layout needs: the menus, the switcher's customers, the current customer."""

from telcost.accounts.models import Membership
from telcost.customers.selectors import customers_visible_to
from telcost.web.current import current_customer


def may_see_admin_menu(user) -> bool:
    """Staff, and managers of partners (they recalculate and manage addons for their customers)."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(user=user, role="manager", customer__children__isnull=False).exists()


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_customer": current_customer(request),
        "switchable_customers": customers_visible_to(user).order_by("name", "pk")[:500],
        "show_admin_menu": may_see_admin_menu(user),
    }
