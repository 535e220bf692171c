"""The seed's addon endpoint and the customer's addons."""

from ninja import Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.rules import MANAGE_ADDONS
from telcost.addons.selectors import addons_of_customer
from telcost.addons.services import AddonRequestError, addon_change_dispatch
from telcost.customers.api import customer_for

router = Router(tags=["addons"])


class ModifyAddonsIn(Schema):
    addonsAction: str  # noqa: N815 - the seed's field name
    addon_type: str = "data_boost"


@router.post("/simaction/simcard/modify-addons/{customer_id}", response={202: dict})
def modify_addons(request, customer_id: int, payload: ModifyAddonsIn):
    customer = customer_for(request, customer_id, MANAGE_ADDONS)
    try:
        job = addon_change_dispatch(customer=customer, user=request.user, action=payload.addonsAction,
                                    addon_type=payload.addon_type)
    except AddonRequestError as exc:
        raise HttpError(exc.status, str(exc)) from None
    return Status(202, {"status": "success", "job_id": job.pk, "status_url": f"/api/jobs/{job.pk}"})


@router.get("/api/customers/{customer_id}/addons")
def customer_addons(request, customer_id: int):
    return addons_of_customer(customer_id=customer_for(request, customer_id).pk)
