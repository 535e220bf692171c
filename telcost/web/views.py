"""The shell's pages: home, and the customer switcher."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from telcost.customers.models import Customer
from telcost.customers.selectors import customers_visible_to
from telcost.web.current import set_current_customer


@login_required
def home(request):
    return render(
        request,
        "web/home.html",
        {"customers": customers_visible_to(request.user).select_related("partner").order_by("name")},
    )


@login_required
@require_POST
def switch_customer(request):
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    try:
        customer = Customer.objects.filter(pk=int(request.POST.get("customer_id", ""))).first()
    except ValueError:
        customer = None
    if customer is None or not set_current_customer(request, customer):
        return render(request, "web/forbidden.html", {"message": "You may not view that customer."}, status=403)
    # Pages of a customer are addressed by id: follow the switch on the same kind of page.
    parts = target.split("/")
    if len(parts) > 3 and parts[1] == "customers" and parts[2].isdigit():
        parts[2] = str(customer.pk)
        target = "/".join(parts)
    return redirect(target)
