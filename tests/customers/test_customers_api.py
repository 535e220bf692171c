import copy
import datetime as dt
from decimal import Decimal

import pytest

from telcost.customers.models import Customer, RatePlan
from telcost.jobs.models import Job
from tests.factories import (
    RATE_PLAN_DEFINITION,
    CustomerFactory,
    MembershipFactory,
    RatePlanFactory,
    UserFactory,
)


@pytest.mark.django_db
def test_staff_creates_a_rate_plan_and_gets_it_back(api_client, staff_user):
    client = api_client(staff_user)
    response = client.post("/api/rate-plans", RATE_PLAN_DEFINITION)
    assert response.status_code == 201, response.content
    assert response.json() == {"code": "biz-2026"}
    stored = client.get("/api/rate-plans/biz-2026").json()
    assert stored["voice"]["per_minute"]["international"] == "0.80"
    # The document is the plan's first version, from the first month a user may ask for.
    version = RatePlan.objects.get().versions.get()
    assert (version.valid_from, version.monthly_fee) == (dt.date(2000, 1, 1), Decimal("12.50"))
    assert client.post("/api/rate-plans", RATE_PLAN_DEFINITION).status_code == 409


def broken(path, value):
    plan = copy.deepcopy(RATE_PLAN_DEFINITION)
    node = plan
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return plan


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("plan", "fragment"),
    [
        (broken(["monthly_fee"], "-1"), "monthly_fee"),
        (broken(["monthly_fee"], "abc"), "monthly_fee"),
        (broken(["voice", "initial_increment_s"], 0), "initial_increment_s"),
        (broken(["voice", "per_minute", "mars"], "0.1"), "mars"),
        (broken(["bundle", "zones"], ["national", "moon"]), "zones"),
        (broken(["data"], KeyError), "data"),
        (broken(["code"], "has space"), "code"),
        (broken(["surprise"], 1), "surprise"),
    ],
)
def test_bad_rate_plans_are_refused(api_client, staff_user, plan, fragment):
    response = api_client(staff_user).post("/api/rate-plans", plan)
    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert not RatePlan.objects.exists()


@pytest.mark.django_db
def test_staff_creates_customers_of_both_kinds_under_a_partner(api_client, staff_user):
    RatePlanFactory()
    client = api_client(staff_user)
    partner = client.post("/api/customers", {"name": "Partner", "kind": "standard"}).json()["id"]
    rated = client.post(
        "/api/customers",
        {"name": "Datri", "kind": "rateplan", "rate_plan": "biz-2026", "partner_id": partner},
    )
    assert rated.status_code == 201
    customer = Customer.objects.get(pk=rated.json()["id"])
    assert (
        customer.is_rateplan
        and customer.partner_id == partner
        and customer.rate_plan.code == "biz-2026"
    )
    shown = client.get(f"/api/customers/{partner}").json()
    assert shown["is_partner"] and shown["children"] == [customer.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "x", "kind": "rateplan"}, "rate plan"),
        ({"name": "x", "kind": "rateplan", "rate_plan": "nope"}, "unknown rate plan"),
        ({"name": "x", "kind": "standard", "rate_plan": "biz-2026"}, "standard"),
        ({"name": "x", "kind": "gold"}, "kind"),
        ({"name": "", "kind": "standard"}, "name"),
        ({"name": "x", "partner_id": 99999}, "unknown customer"),
        ({"name": "x", "partner_id": 99999999999999999999}, "partner_id"),
    ],
)
def test_bad_customers_are_refused(api_client, staff_user, body, fragment):
    RatePlanFactory()
    response = api_client(staff_user).post("/api/customers", body)
    assert response.status_code == 400, response.content
    assert fragment in response.json()["error"]
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_partner_nesting_is_one_level(api_client, staff_user):
    top = CustomerFactory()
    middle = CustomerFactory(partner=top)
    response = api_client(staff_user).post("/api/customers", {"name": "x", "partner_id": middle.pk})
    assert response.status_code == 400


@pytest.mark.django_db
def test_customer_detail_shows_its_status_to_viewers_only(api_client, customer, viewer, outsider):
    body = api_client(viewer).get(f"/api/customers/{customer.pk}").json()
    assert body["status"]["calculate_totals"] is False and body["kind"] == "standard"
    assert api_client(outsider).get(f"/api/customers/{customer.pk}").status_code == 404
    assert api_client(viewer).get("/api/customers/987654").status_code == 404
    assert api_client(viewer).get("/api/customers/99999999999999999999").status_code in (400, 404)


@pytest.mark.django_db
def test_customer_list_is_what_the_user_may_view(api_client, customer):
    partner = CustomerFactory(name="P")
    child = CustomerFactory(name="C", partner=partner)
    CustomerFactory(name="Unrelated")
    user = UserFactory()
    MembershipFactory(user=user, customer=partner, role="viewer")
    names = {c["name"] for c in api_client(user).get("/api/customers").json()}
    assert names == {"P", "C"} and child.pk


@pytest.mark.django_db
def test_only_staff_creates_customers_and_plans(api_client, manager):
    assert api_client(manager).post("/api/customers", {"name": "x"}).status_code == 403
    assert api_client(manager).post("/api/rate-plans", RATE_PLAN_DEFINITION).status_code == 403
    assert not Job.objects.exists()
