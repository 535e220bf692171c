"""The seed's addon endpoint and the customer's addons."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.rules import MANAGE_ADDONS
from telcost.addons.selectors import addons_of_customer
from telcost.addons.services import AddonRequestError, addon_change_dispatch
from telcost.customers.api import customer_for
from telcost.customers.models import Customer

router = Router(tags=["addons"])


class ModifyAddonsIn(Schema):
    addonsAction: str  # noqa: N815 - the seed's field name
    addon_type: str = "data_boost"


@router.post("/simaction/simcard/modify-addons/{customer_id}", response={202: dict})
def modify_addons(request, customer_id: int, payload: ModifyAddonsIn):
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Http404("Customer not found")
    if not request.user.has_perm(MANAGE_ADDONS, customer):
        raise PermissionDenied("Unauthorized")
    try:
        job = addon_change_dispatch(customer=customer, user=request.user, action=payload.addonsAction,
                                    addon_type=payload.addon_type)
    except AddonRequestError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(202, {"status": "success", "job_id": job.pk, "status_url": f"/api/jobs/{job.pk}"})


@router.get("/api/customers/{customer_id}/addons")
def customer_addons(request, customer_id: int):
    return addons_of_customer(customer_id=customer_for(request, customer_id).pk)
