"""Reads of the customers app."""

from django.db.models import Q, QuerySet

from telcost.customers.models import Customer


def customers_visible_to(user) -> QuerySet[Customer]:
    """Customers the user may VIEW: staff all; others their memberships' customers and those partners' customers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Customer.objects.none()
    if user.is_staff:
        return Customer.objects.all()
    ids = list(user.memberships.values_list("customer_id", flat=True))
    return Customer.objects.filter(Q(pk__in=ids) | Q(partner_id__in=ids)).distinct()


def customer_as_dict(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "name": customer.name,
        "kind": customer.kind,
        "rate_plan": customer.rate_plan.code if customer.rate_plan_id else None,
        "partner_id": customer.partner_id,
        "is_partner": customer.is_partner,
        "children": list(customer.children.order_by("pk").values_list("pk", flat=True)),
        "external_ref": customer.external_ref,
        "status": {
            "calculate_totals": customer.calculate_totals,
            "totals_calculated_at": customer.totals_calculated_at,
            "totals_calculated_by": customer.totals_calculated_by.username if customer.totals_calculated_by_id else None,
            "totals_version": customer.totals_version,
            "totals_outcome": customer.totals_outcome,
        },
    }
