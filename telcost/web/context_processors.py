"""What every page's layout needs: the menus, the switcher's customers, the current customer."""

from telcost.accounts.access import admin_menu_visible, customers_for
from telcost.web.current import current_customer

# A staff switcher lists at most this many customers; the overview lists them all.
SWITCHER_LIMIT = 500


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_customer": current_customer(request),
        "switchable_customers": customers_for(user).order_by("name", "pk")[:SWITCHER_LIMIT],
        "show_admin_menu": admin_menu_visible(user),
    }
