"""Reads of the exports app."""

from telcost.accounts.access import EXPORT, VIEW, may
from telcost.exports.models import ExportJob


def export_for_user(*, user, export_id: int) -> ExportJob | None:
    """The export if the user may have it now, else None (a 404, whether it exists or not).

    Anyone with EXPORT on its customer; its requester while still allowed to see the customer
    (a removed membership ends the link at once, not when the link expires).
    """
    export = ExportJob.objects.select_related("customer").filter(pk=export_id).first()
    if export is None:
        return None
    if may(user, EXPORT, export.customer):
        return export
    if export.requested_by_id == user.pk and may(user, VIEW, export.customer):
        return export
    return None
