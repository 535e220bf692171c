"""Rate plan versions (SPEC part 2 "Master data"): the version valid at a cycle's start rates the
cycle and sets its fee; a new version changes stored totals only when a month is recalculated.
The months are computed by hand below; the API's permissions and bad input; the audit entries."""

import copy
import datetime as dt
from decimal import Decimal

import pytest

from telcost.audit.models import AuditEntry
from telcost.customers.models import RatePlan, RatePlanVersion
from telcost.customers.services import CustomerInputError, rate_plan_version_add
from telcost.jobs.models import Job
from telcost.usage.models import CDR
from tests.factories import (
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    RatePlanFactory,
    UserFactory,
)
from tests.usage.helpers import NO_BUNDLE, plan_with

pytestmark = pytest.mark.django_db

AUG, SEPT = dt.date(2026, 8, 1), dt.date(2026, 9, 1)


def old_document(code: str) -> dict:
    # No bundle, no setup fee: a call of 120 s costs 2 minutes × the national price.
    document = plan_with(bundle=NO_BUNDLE, monthly_fee="10.00")
    document["voice"]["setup_fee"] = "0"
    document["code"] = code
    return document


def new_document(code: str) -> dict:
    document = old_document(code)
    document["monthly_fee"] = "15.00"
    document["voice"]["per_minute"]["national"] = "0.20"
    document["name"] = "Business 2026 (September prices)"
    return document


def call(customer, device, cycle_start: dt.date, n: int) -> None:
    CDR.objects.create(
        customer=customer,
        device=device,
        external_id=f"call-{cycle_start:%Y%m}-{n}",
        started_at=dt.datetime(cycle_start.year, cycle_start.month, 10, 12, n, tzinfo=dt.UTC),
        record_type="voice",
        zone="national",
        destination="x",
        duration_s=120,
        volume_kb=0,
        provider_cost=Decimal("0.1000"),
        cycle_start=cycle_start,
    )


@pytest.fixture
def datri(db):
    document = old_document("versioned")
    plan = RatePlanFactory(code="versioned", name=document["name"], definition=document)
    customer = CustomerFactory(kind="rateplan", rate_plan=plan, name="Datri")
    device = DeviceFactory(customer=customer, activated_on=dt.date(2026, 1, 1))
    for cycle_start in (AUG, SEPT):
        call(customer, device, cycle_start, 1)
    return customer


def recalculate(client, customer, cycle_start: dt.date, drain_jobs) -> Job:
    response = client.post(f"/usage/recalculate_total_usage/{cycle_start}/{customer.pk}")
    assert response.status_code == 202, response.content
    drain_jobs()
    return Job.objects.get(pk=response.json()["job_id"])


def totals(client, customer, cycle_start: dt.date) -> tuple[str, str]:
    answer = client.get(f"/api/customers/{customer.pk}/totals?month={cycle_start:%Y-%m}").json()
    return answer["total_cost"], answer["subscription_cost"]


def test_each_month_is_rated_and_charged_by_its_version_once_recalculated(
    api_client, staff_user, datri, drain_jobs
):
    client = api_client(staff_user)
    for cycle_start in (AUG, SEPT):
        assert recalculate(client, datri, cycle_start, drain_jobs).status == "completed"
    # The one version: 2 min × 0.10 = 0.20 usage, plus the fee 10.00, in both months.
    assert totals(client, datri, AUG) == ("10.2000", "10.0000")
    assert totals(client, datri, SEPT) == ("10.2000", "10.0000")

    response = client.post(
        "/api/rate-plans/versioned/versions",
        {"valid_from": "2026-09-01", "definition": new_document("versioned")},
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "code": "versioned",
        "valid_from": "2026-09-01",
        "monthly_fee": "15.0000",
    }
    # Stored totals stay until a month is recalculated.
    assert totals(client, datri, SEPT) == ("10.2000", "10.0000")

    for cycle_start in (AUG, SEPT):
        assert recalculate(client, datri, cycle_start, drain_jobs).status == "completed"
    # August (before the new version): still 0.20 + 10.00.
    assert totals(client, datri, AUG) == ("10.2000", "10.0000")
    # September: 2 min × 0.20 = 0.40 usage, plus the new fee 15.00.
    assert totals(client, datri, SEPT) == ("15.4000", "15.0000")
    assert list(CDR.objects.order_by("cycle_start").values_list("cost", flat=True)) == [
        Decimal("0.2000"),
        Decimal("0.4000"),
    ]
    assert RatePlan.objects.get(code="versioned").name == "Business 2026 (September prices)"


def test_a_month_before_the_first_version_fails_naming_the_first_month(
    api_client, staff_user, drain_jobs
):
    plan = RatePlan.objects.create(code="late", name="Late")
    RatePlanVersion.objects.create(
        rate_plan=plan,
        valid_from=SEPT,
        definition=old_document("late"),
        monthly_fee=Decimal("10.00"),
    )
    customer = CustomerFactory(kind="rateplan", rate_plan=plan)
    device = DeviceFactory(customer=customer, activated_on=dt.date(2026, 1, 1))
    call(customer, device, AUG, 1)
    call(customer, device, SEPT, 1)
    client = api_client(staff_user)
    august = recalculate(client, customer, AUG, drain_jobs)
    assert august.status == "failed"
    assert "rate plan late has no version for 2026-08" in august.error
    assert "its first version holds from 2026-09" in august.error
    assert client.get(f"/api/customers/{customer.pk}/totals?month=2026-08").status_code == 404
    assert recalculate(client, customer, SEPT, drain_jobs).status == "completed"
    assert totals(client, customer, SEPT) == ("10.2000", "10.0000")


# ---- the service ---------------------------------------------------------------------------


def test_the_service_refuses_what_is_not_a_version_and_saves_nothing(datri):
    plan = datri.rate_plan
    cases = [
        (dt.date(2026, 9, 2), new_document("versioned"), "valid_from", 400),
        (dt.date(1999, 12, 1), new_document("versioned"), "valid_from", 400),
        (SEPT, new_document("another-code"), "code", 400),
        (SEPT, {**new_document("versioned"), "monthly_fee": "-1"}, "monthly_fee", 400),
        (SEPT, "not a document", "definition", 400),
        (dt.date(2000, 1, 1), new_document("versioned"), "already has a version", 409),
    ]
    for valid_from, definition, fragment, status in cases:
        with pytest.raises(CustomerInputError) as refused:
            rate_plan_version_add(rate_plan=plan, valid_from=valid_from, definition=definition)
        assert fragment in str(refused.value) and refused.value.status == status
    assert plan.versions.count() == 1


def test_the_service_takes_the_plan_by_code_and_a_name_follows_only_the_latest(datri):
    rate_plan_version_add(
        rate_plan="versioned", valid_from=dt.date(2026, 10, 1), definition=new_document("versioned")
    )
    earlier = {**new_document("versioned"), "name": "An older name"}
    rate_plan_version_add(rate_plan="versioned", valid_from=SEPT, definition=earlier)
    assert RatePlan.objects.get(code="versioned").name == "Business 2026 (September prices)"
    with pytest.raises(CustomerInputError) as refused:
        rate_plan_version_add(rate_plan="nope", valid_from=SEPT, definition=earlier)
    assert refused.value.status == 404


# ---- the API -------------------------------------------------------------------------------


@pytest.fixture
def people(datri):
    """A manager and a viewer of Datri, a manager of Datri's partner, and a manager elsewhere."""
    partner = CustomerFactory(name="Partner")
    datri.partner = partner
    datri.save()
    elsewhere = CustomerFactory(kind="rateplan", rate_plan=RatePlanFactory(code="other-plan"))
    roles = {}
    for name, customer, role in [
        ("manager", datri, "manager"),
        ("viewer", datri, "viewer"),
        ("partner_manager", partner, "manager"),
        ("stranger", elsewhere, "manager"),
    ]:
        roles[name] = UserFactory(username=name)
        MembershipFactory(user=roles[name], customer=customer, role=role)
    return roles


def test_staff_list_every_plan_and_managers_their_customers_plans(api_client, staff_user, people):
    answer = api_client(staff_user).get("/api/rate-plans?page_size=1").json()
    assert (answer["count"], answer["page"], answer["page_size"]) == (2, 1, 1)
    assert [p["code"] for p in answer["items"]] == ["other-plan"]
    second = api_client(staff_user).get("/api/rate-plans?page=2&page_size=1").json()
    assert second["items"][0] == {
        "code": "versioned",
        "name": old_document("versioned")["name"],
        "versions": [
            {
                "valid_from": "2000-01-01",
                "monthly_fee": "10.0000",
                "definition": old_document("versioned"),
            }
        ],
    }
    for name in ("manager", "partner_manager"):
        mine = api_client(people[name]).get("/api/rate-plans").json()
        assert [p["code"] for p in mine["items"]] == ["versioned"], name
    assert [
        p["code"] for p in api_client(people["stranger"]).get("/api/rate-plans").json()["items"]
    ] == ["other-plan"]
    assert api_client(people["viewer"]).get("/api/rate-plans").status_code == 403
    assert api_client().get("/api/rate-plans").status_code == 401
    assert api_client(staff_user).get("/api/rate-plans?page_size=501").status_code == 400
    assert api_client(staff_user).get("/api/rate-plans?page=0").status_code == 400


def test_reading_one_plan_follows_the_same_policy(api_client, staff_user, people):
    url = "/api/rate-plans/versioned"
    assert api_client(staff_user).get(url).json()["monthly_fee"] == "10.00"
    assert api_client(people["manager"]).get(url).status_code == 200
    assert api_client(people["viewer"]).get(url).status_code == 403
    stranger = api_client(people["stranger"]).get(url)
    assert stranger.status_code == 404
    assert stranger.json() == api_client(staff_user).get("/api/rate-plans/nope").json()
    assert api_client().get(url).status_code == 401


def test_only_staff_add_versions(api_client, staff_user, people):
    url = "/api/rate-plans/versioned/versions"
    body = {"valid_from": "2026-09-01", "definition": new_document("versioned")}
    assert api_client(people["manager"]).post(url, body).status_code == 403
    assert api_client(people["partner_manager"]).post(url, body).status_code == 403
    assert api_client(people["viewer"]).post(url, body).status_code == 403
    stranger = api_client(people["stranger"]).post(url, body)
    assert stranger.status_code == 404 and stranger.json() == {"error": "Rate plan not found"}
    assert api_client().post(url, body).status_code == 401
    assert RatePlanVersion.objects.filter(rate_plan__code="versioned").count() == 1
    assert api_client(staff_user).post(url, body).status_code == 201
    assert api_client(staff_user).post(url, body).status_code == 409
    unknown = api_client(staff_user).post("/api/rate-plans/nope/versions", body)
    assert unknown.status_code == 404


def broken(path: list, value) -> dict:
    document = new_document("versioned")
    node = document
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"valid_from": "2026-09-15", "definition": new_document("versioned")}, "valid_from"),
        ({"valid_from": "2026-13-01", "definition": new_document("versioned")}, "valid_from"),
        ({"valid_from": "September", "definition": new_document("versioned")}, "valid_from"),
        ({"definition": new_document("versioned")}, "valid_from"),
        ({"valid_from": "2026-09-01"}, "definition"),
        ({"valid_from": "2026-09-01", "definition": []}, "definition"),
        ({"valid_from": "2026-09-01", "definition": broken(["monthly_fee"], "-1")}, "monthly_fee"),
        (
            {"valid_from": "2026-09-01", "definition": broken(["voice", "per_minute"], {})},
            "voice",
        ),
        (
            {"valid_from": "2026-09-01", "definition": broken(["bundle", "zones"], ["moon"])},
            "zones",
        ),
        ({"valid_from": "2026-09-01", "definition": broken(["code"], "other")}, "code"),
        ({"valid_from": "2026-09-01", "definition": broken(["sms"], KeyError)}, "sms"),
    ],
)
def test_bad_versions_are_a_400_naming_the_field_and_change_nothing(
    api_client, staff_user, datri, body, field
):
    response = api_client(staff_user).post("/api/rate-plans/versioned/versions", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]
    assert datri.rate_plan.versions.count() == 1


# ---- the audit log -------------------------------------------------------------------------


def test_creating_a_plan_and_adding_a_version_are_audited(api_client, staff_user):
    client = api_client(staff_user)
    document = copy.deepcopy(old_document("audited"))
    assert client.post("/api/rate-plans", document).status_code == 201
    assert (
        client.post(
            "/api/rate-plans/audited/versions",
            {"valid_from": "2026-09-01", "definition": new_document("audited")},
        ).status_code
        == 201
    )
    entries = AuditEntry.objects.filter(object_type__startswith="rate_plan").order_by("pk")
    assert [(e.action, e.object_type, e.object_name, e.actor) for e in entries] == [
        ("created", "rate_plan", "audited", "staff"),
        ("created", "rate_plan_version", "audited 2000-01", "staff"),
        ("created", "rate_plan_version", "audited 2026-09", "staff"),
        # The latest version renames the plan.
        ("changed", "rate_plan", "audited", "staff"),
    ]
    assert entries[2].changes["monthly_fee"] == [None, "15.00"]
    assert entries[3].changes == {"name": ["Business 2026", "Business 2026 (September prices)"]}
    listed = client.get("/api/audit?object_type=rate_plan_version").json()
    assert listed["count"] == 2
