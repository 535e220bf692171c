"""Writes of the customers app: rate plans and customers."""

from django.db import IntegrityError, transaction
from pydantic import ValidationError

from telcost.customers.models import Customer, RatePlan
from telcost.customers.rate_plans import rate_plan_document, rate_plan_parse


class CustomerInputError(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _pydantic_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


@transaction.atomic
def rate_plan_create(*, definition: dict) -> RatePlan:
    try:
        plan = rate_plan_parse(definition)
    except ValidationError as exc:
        raise CustomerInputError(_pydantic_message(exc)) from None
    if RatePlan.objects.filter(code=plan.code).exists():
        raise CustomerInputError(f"rate plan {plan.code!r} exists", status=409)
    try:
        with transaction.atomic():
            return RatePlan.objects.create(
                code=plan.code,
                name=plan.name,
                monthly_fee=plan.monthly_fee,
                definition=rate_plan_document(plan),
            )
    except IntegrityError:
        raise CustomerInputError(f"rate plan {plan.code!r} exists", status=409) from None


@transaction.atomic
def customer_create(
    *,
    name: str,
    kind: str,
    rate_plan: str | None = None,
    partner_id: int | None = None,
    external_ref: str = "",
) -> Customer:
    plan = None
    if kind == Customer.Kind.RATEPLAN:
        if not rate_plan:
            raise CustomerInputError("rate_plan: a rateplan customer needs a rate plan")
        plan = RatePlan.objects.filter(code=rate_plan).first()
        if plan is None:
            raise CustomerInputError(f"rate_plan: unknown rate plan {rate_plan!r}")
    elif rate_plan:
        raise CustomerInputError(
            "rate_plan: a standard customer pays provider costs and takes no rate plan"
        )
    partner = None
    if partner_id is not None:
        partner = Customer.objects.filter(pk=partner_id).first()
        if partner is None:
            raise CustomerInputError(f"partner_id: unknown customer {partner_id}")
        if partner.partner_id is not None:
            raise CustomerInputError("partner_id: a partner's customer cannot itself be a partner")
    return Customer.objects.create(
        name=name, kind=kind, rate_plan=plan, partner=partner, external_ref=external_ref
    )
