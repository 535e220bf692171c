"""The devices of a batch of imported CDRs: existing ones, new ones created, other customers'
refused."""

import datetime as dt

from telcost.audit.models import AuditEntry
from telcost.audit.services import audit_record_many
from telcost.customers.models import Customer, Device

REFUSED_DEVICE = "msisdn belongs to another customer"
# One text whoever owns the number (or nobody does): a customer's user learns nothing of other
# customers.
NOT_OWN_DEVICE = "msisdn is not a device of this customer"


def refused_device_reason(own_devices_only: bool) -> str:
    return NOT_OWN_DEVICE if own_devices_only else REFUSED_DEVICE


def devices_for_batch(
    *, customer: Customer, first_seen: dict[str, dt.date], own_devices_only: bool = False
) -> tuple[dict[str, int], set[str]]:
    """({msisdn: device id} usable for the customer, msisdns refused).

    Refused: other customers' devices, and with own_devices_only (an upload by a customer's
    own user, SPEC part 2) every msisdn that is not already a device of the customer. Without
    it a new msisdn becomes the customer's device (staff uploads, syncs).
    first_seen is the earliest local day of each msisdn's records in the batch: a new
    device is activated on it, and an existing one active only later is moved back to it
    (the SIM was in use then). A few hundred devices a batch at most: the ORM is fine.
    """
    columns = ("msisdn", "pk", "customer_id", "activated_on")
    # One read of the batch's devices (a batch holds up to a few thousand msisdns, each a
    # parameter to bind); only those created here are read again below.
    found = list(Device.objects.filter(msisdn__in=list(first_seen)).values_list(*columns))
    known = {row[0] for row in found}
    missing = [m for m in first_seen if m not in known]
    if missing and not own_devices_only:
        Device.objects.bulk_create(
            [Device(msisdn=m, customer=customer, activated_on=first_seen[m]) for m in missing],
            ignore_conflicts=True,  # a concurrent import may create the same device
        )
        created = Device.objects.filter(msisdn__in=missing, customer=customer).values_list(
            "pk", "msisdn", "activated_on"
        )
        audit_record_many(
            action=AuditEntry.Action.CREATED,
            object_type="device",
            rows=[
                (
                    pk,
                    msisdn,
                    customer.pk,
                    {
                        "msisdn": [None, msisdn],
                        "customer": [None, customer.pk],
                        "activated_on": [None, activated_on.isoformat()],
                    },
                )
                for pk, msisdn, activated_on in created
            ],
        )
    if missing:
        # Made here, or by a concurrent import (ours, or another customer's: refused).
        found += Device.objects.filter(msisdn__in=missing).values_list(*columns)
    usable: dict[str, int] = {}
    refused: set[str] = set()
    moved: list[tuple] = []
    for msisdn, device_id, owner_id, activated_on in found:
        if owner_id != customer.pk:
            refused.add(msisdn)
            continue
        usable[msisdn] = device_id
        if first_seen[msisdn] < activated_on:
            if Device.objects.filter(pk=device_id, activated_on__gt=first_seen[msisdn]).update(
                activated_on=first_seen[msisdn]
            ):
                moved.append(
                    (
                        device_id,
                        msisdn,
                        customer.pk,
                        {
                            "activated_on": [
                                activated_on.isoformat(),
                                first_seen[msisdn].isoformat(),
                            ]
                        },
                    )
                )
    audit_record_many(action=AuditEntry.Action.CHANGED, object_type="device", rows=moved)
    if own_devices_only:
        refused.update(
            m for m in missing if m not in usable
        )  # unless a concurrent import just made it ours
    return usable, refused
