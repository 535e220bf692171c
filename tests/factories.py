"""The shared base of users, customers and devices every test builds on."""

import copy
import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from telcost.accounts.models import Membership
from telcost.customers.models import (
    CostCenter,
    CostCenterAssignment,
    Customer,
    Device,
    RatePlan,
    RatePlanVersion,
)
from telcost.demo.generator import DEMO_RATE_PLAN

# SPEC's rate plan, the same document the demo loads.
RATE_PLAN_DEFINITION = DEMO_RATE_PLAN


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-1")
    is_staff = False

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RatePlanFactory(factory.django.DjangoModelFactory):
    """SPEC's plan with its document (or `definition=`) as its one version, from 2000-01, as
    rate_plan_create makes it."""

    class Meta:
        model = RatePlan
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = "biz-2026"
    name = "Business 2026"

    @factory.post_generation
    def definition(plan, create, extracted, **kwargs):
        if create and not plan.versions.exists():
            document = copy.deepcopy(extracted or RATE_PLAN_DEFINITION)
            document["code"] = plan.code
            RatePlanVersion.objects.create(
                rate_plan=plan,
                valid_from=dt.date(2000, 1, 1),
                definition=document,
                monthly_fee=Decimal(document["monthly_fee"]),
            )


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    kind = Customer.Kind.STANDARD
    external_ref = factory.Sequence(lambda n: f"RT{n:05d}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    customer = factory.SubFactory(CustomerFactory)
    role = Membership.Role.VIEWER


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    msisdn = factory.Sequence(lambda n: f"316{n:08d}")
    iccid = factory.Sequence(lambda n: f"8931{n:015d}")
    customer = factory.SubFactory(CustomerFactory)
    activated_on = dt.date(2026, 1, 1)


class CostCenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostCenter

    customer = factory.SubFactory(CustomerFactory)
    code = factory.Sequence(lambda n: f"CC{n:03d}")
    name = factory.Sequence(lambda n: f"Cost center {n}")


class CostCenterAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostCenterAssignment

    device = factory.SubFactory(DeviceFactory)
    cost_center = factory.SubFactory(CostCenterFactory)
    valid_from = dt.date(2026, 1, 1)
