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
    body = api_client(user).get("/api/customers").json()
    assert {c["name"] for c in body["items"]} == {"P", "C"} and body["count"] == 2
    assert {c["name"]: c["is_partner"] for c in body["items"]} == {"P": True, "C": False}
    assert [c["partner_id"] for c in body["items"] if c["name"] == "C"] == [partner.pk]
    assert child.pk


@pytest.mark.django_db
def test_the_customer_list_is_paged_by_name(api_client, staff_user):
    for name in ["D", "B", "A", "C", "E"]:
        CustomerFactory(name=name)
    client = api_client(staff_user)
    first = client.get("/api/customers?page=1&page_size=2").json()
    assert first["count"] == 5 and first["page_size"] == 2
    assert [c["name"] for c in first["items"]] == ["A", "B"]
    third = client.get("/api/customers", {"page": 3, "page_size": 2}).json()
    assert [c["name"] for c in third["items"]] == ["E"]
    assert client.get("/api/customers?page=9&page_size=2").json()["items"] == []
    for bad in ("page=0", "page_size=501", "page_size=0", "page=x"):
        response = client.get(f"/api/customers?{bad}")
        assert response.status_code == 400 and bad.split("=")[0] in response.json()["error"]
    assert api_client().get("/api/customers").status_code == 401


def _patch(client, customer_id, body):
    return client.patch(f"/api/customers/{customer_id}", body, content_type="application/json")


@pytest.mark.django_db
def test_staff_changes_a_customer(api_client, staff_user, customer):
    RatePlanFactory()
    partner = CustomerFactory(name="Partner")
    client = api_client(staff_user)
    response = _patch(
        client,
        customer.pk,
        {
            "name": "Acme Holding",
            "kind": "rateplan",
            "rate_plan": "biz-2026",
            "partner_id": partner.pk,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["kind"], body["rate_plan"], body["partner_id"]) == (
        "Acme Holding",
        "rateplan",
        "biz-2026",
        partner.pk,
    )
    # Back to standard: the rate plan goes with it; partner_id null takes the partner away.
    body = _patch(client, customer.pk, {"kind": "standard", "partner_id": None}).json()
    assert (body["kind"], body["rate_plan"], body["partner_id"]) == ("standard", None, None)
    assert _patch(client, customer.pk, {}).json()["name"] == "Acme Holding"
    from telcost.audit.models import AuditEntry

    changes = [
        e.changes
        for e in AuditEntry.objects.filter(object_type="customer", action="changed").order_by("pk")
    ]
    assert changes[0]["name"] == ["Acme BV", "Acme Holding"] and len(changes) == 2
    assert set(
        AuditEntry.objects.filter(object_type="customer", action="changed").values_list(
            "actor", flat=True
        )
    ) == {"staff"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"kind": None}, "kind"),
        ({"kind": "gold"}, "kind"),
        ({"kind": "rateplan"}, "rate_plan"),
        ({"kind": "rateplan", "rate_plan": "nope"}, "rate_plan"),
        ({"rate_plan": "biz-2026"}, "rate_plan"),
        ({"partner_id": 987654}, "partner_id"),
        ({"partner_id": 0}, "partner_id"),
        ({"partner_id": "self"}, "partner_id"),
        ({"partner_id": "child-partner"}, "partner_id"),
        ({"partner_id": "nested"}, "partner_id"),
    ],
)
def test_bad_customer_changes_are_a_400_and_change_nothing(
    api_client, staff_user, customer, body, field
):
    RatePlanFactory()
    top = CustomerFactory(name="Top")
    middle = CustomerFactory(name="Middle", partner=top)
    special = {"self": customer.pk, "nested": middle.pk}
    if body.get("partner_id") == "child-partner":
        # A customer that is itself a partner cannot be put under one.
        CustomerFactory(name="Child", partner=customer)
        body = {"partner_id": top.pk}
    elif body.get("partner_id") in special:
        body = {"partner_id": special[body["partner_id"]]}
    response = _patch(api_client(staff_user), customer.pk, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]
    customer.refresh_from_db()
    assert (customer.name, customer.kind, customer.rate_plan_id, customer.partner_id) == (
        "Acme BV",
        "standard",
        None,
        None,
    )


@pytest.mark.django_db
def test_only_staff_change_customers(api_client, customer, manager, viewer, outsider):
    assert _patch(api_client(manager), customer.pk, {"name": "x"}).status_code == 403
    assert _patch(api_client(viewer), customer.pk, {"name": "x"}).status_code == 403
    assert _patch(api_client(outsider), customer.pk, {"name": "x"}).status_code == 404
    assert _patch(api_client(), customer.pk, {"name": "x"}).status_code == 401
    customer.refresh_from_db()
    assert customer.name == "Acme BV"


@pytest.mark.django_db
def test_only_staff_creates_customers_and_plans(api_client, manager):
    assert api_client(manager).post("/api/customers", {"name": "x"}).status_code == 403
    assert api_client(manager).post("/api/rate-plans", RATE_PLAN_DEFINITION).status_code == 403
    assert not Job.objects.exists()
