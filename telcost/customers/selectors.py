"""Reads of the customers app."""

from telcost.customers.models import CostCenterAssignment, Customer


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


def cost_center_assignments(customer: Customer) -> list[tuple]:
    """(device id, valid_from, cost center code) of the customer's devices, by device and valid_from."""
    return list(CostCenterAssignment.objects.filter(device__customer=customer).order_by("device_id", "valid_from")
                .values_list("device_id", "valid_from", "cost_center__code"))
