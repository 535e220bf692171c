"""The customer a page is about, as its view says when the URL does not name it (a job's page,
Simacties' ?customer_id=): the shell's customer picker and menu show that one (web.current).

Here, at the bottom, so every app's views can say it without importing the shell above them.
"""

_ATTR = "_telcost_page_customer"


def page_customer_set(request, customer) -> None:
    """Say which customer this page shows (a customer the view has checked the user may see)."""
    setattr(request, _ATTR, customer)


def page_customer_of(request):
    return getattr(request, _ATTR, None)
