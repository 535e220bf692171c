"""POST /api/partners/{customer_id}/recalculate (workflow 6)."""

import datetime as dt
from typing import Literal

from ninja import Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.access import RECALCULATE, customer_for_user
from telcost.core.api_schemas import Out, answers
from telcost.idempotency.decorators import idempotent
from telcost.jobs.kinds import job_params, kind_of
from telcost.usage.recalculation.partner import (
    BadRange,
    partner_recalculation_dispatch,
)

router = Router(tags=["partner recalculation"])
# Each operation_id is the one the API published before this module moved into usage/api/ (issue
# 15):
# Ninja names an operation after its module.


class RangeIn(Schema):
    start_date: dt.date
    end_date: dt.date


class RangeOut(Out):
    status: Literal["success"]
    months_processed: int
    job_id: int
    joined: bool


@router.post(
    "/api/partners/{customer_id}/recalculate",
    response=answers({202: RangeOut}, 403, 404),
    operation_id="telcost_usage_partner_api_partner_recalculate",
)
@idempotent
def partner_recalculate(request, customer_id: int, payload: RangeIn):
    # Staff, or a manager of that partner (managers of the partner hold RECALCULATE on it).
    customer = customer_for_user(
        user=request.user,
        customer_id=customer_id,
        right=RECALCULATE,
        not_found="Invalid customer provided",
    )
    try:
        dispatched = partner_recalculation_dispatch(
            customer=customer,
            start_date=payload.start_date,
            end_date=payload.end_date,
            user=request.user,
        )
    except BadRange as exc:
        raise HttpError(400, str(exc)) from None
    months = job_params(dispatched.job, kind_of(dispatched.job.kind)).months
    return Status(
        202,
        {
            "status": "success",
            "months_processed": months,
            "job_id": dispatched.pk,
            "joined": dispatched.joined,
        },
    )
