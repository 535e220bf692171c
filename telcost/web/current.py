"""The customer a user is looking at, kept in the session, always re-checked against VIEW."""

from telcost.accounts.rules import VIEW
from telcost.customers.models import Customer
from telcost.customers.selectors import customers_visible_to

SESSION_KEY = "telcost_customer_id"


def current_customer(request) -> Customer | None:
    user = request.user
    if not user.is_authenticated:
        return None
    customer_id = request.session.get(SESSION_KEY)
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    if customer is not None and user.has_perm(VIEW, customer):
        return customer
    # No (longer a) valid choice: fall back to the first customer the user may see.
    customer = customers_visible_to(user).order_by("name", "pk").first()
    if customer is not None:
        request.session[SESSION_KEY] = customer.pk
    return customer


def set_current_customer(request, customer: Customer) -> bool:
    """Remember the choice if the user may view that customer; False (and nothing stored) otherwise."""
    if not request.user.has_perm(VIEW, customer):
        return False
    request.session[SESSION_KEY] = customer.pk
    return True
