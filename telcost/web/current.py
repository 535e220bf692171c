"""The customer a user is looking at, kept in the session, always re-checked against VIEW.

Which customer is "current", strongest first:
1. the customer of the page itself (a URL with a `customer_id`, or the one its view names with
   core.page.page_customer_set: a job's customer), when the user may view it: following a link
   to another customer's page makes that one current;
2. the one stored in the session by the switcher (or by 1.), when still viewable;
3. the first customer the user may view (not stored: it is a default, not a choice).

The result is cached on the request: the menu, the page and the switcher agree.
"""

from telcost.accounts.access import VIEW, customer_id_of, customers_for, may
from telcost.core.page import page_customer_of
from telcost.customers.models import Customer

SESSION_KEY = "telcost_customer_id"
_CACHE_ATTR = "_telcost_current_customer"


def _viewable(user, customer_id) -> Customer | None:
    customer_id = customer_id_of(customer_id)
    if customer_id is None:
        return None
    return customers_for(user).filter(pk=customer_id).first()


def _customer_of_url(request) -> Customer | None:
    shown = page_customer_of(request)
    if shown is not None:
        return _viewable(request.user, shown.pk)
    match = getattr(request, "resolver_match", None)
    if match is None or "customer_id" not in match.kwargs:
        return None
    return _viewable(request.user, match.kwargs["customer_id"])


def chosen_customer(request) -> Customer | None:
    """The customer the user chose (or the only one they may view); None when there is no clear
    choice."""
    user = request.user
    if not user.is_authenticated:
        return None
    customer = _customer_of_url(request) or _viewable(user, request.session.get(SESSION_KEY))
    if customer is not None:
        return customer
    only_two = list(customers_for(user).order_by("pk")[:2])
    return only_two[0] if len(only_two) == 1 else None


def current_customer(request) -> Customer | None:
    """A customer the user may VIEW (see the module's order), or None when they may view none."""
    cached = getattr(request, _CACHE_ATTR, None)
    shown = page_customer_of(request)
    if hasattr(request, _CACHE_ATTR) and (shown is None or (cached and cached.pk == shown.pk)):
        return cached
    user = request.user
    customer = None
    if user.is_authenticated:
        customer = _customer_of_url(request)
        if customer is not None:
            if request.session.get(SESSION_KEY) != customer.pk:  # no session write per page view
                request.session[SESSION_KEY] = customer.pk
        else:
            customer = _viewable(user, request.session.get(SESSION_KEY))
        if customer is None:
            customer = customers_for(user).order_by("name", "pk").first()
    setattr(request, _CACHE_ATTR, customer)
    return customer


def set_current_customer(request, customer: Customer) -> bool:
    """Remember the choice if the user may view that customer; False (and nothing stored)
    otherwise."""
    if not may(request.user, VIEW, customer):
        return False
    request.session[SESSION_KEY] = customer.pk
    setattr(request, _CACHE_ATTR, customer)
    return True
