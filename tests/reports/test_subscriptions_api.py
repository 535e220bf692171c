"""/api/report-subscriptions: own subscriptions only (staff may list another user's), only for
customers the user may see; bad input is a clear error and writes nothing."""

import pytest

from telcost.reports.models import ReportSubscription
from tests.factories import CustomerFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/report-subscriptions"


def test_a_viewer_subscribes_lists_changes_and_unsubscribes(api_client, customer, viewer):
    client = api_client(viewer)
    created = client.post(URL, {"customer_id": customer.pk, "day_of_month": 28, "language": "en"})
    assert created.status_code == 201
    subscription_id = created.json()["id"]
    listed = client.get(URL).json()
    assert listed["count"] == 1
    (item,) = listed["items"]
    assert item["id"] == subscription_id
    assert (item["customer_id"], item["customer_name"], item["day_of_month"]) == (
        customer.pk,
        "Acme BV",
        28,
    )
    assert (item["language"], item["active"], item["last_sent_month"]) == ("en", True, None)
    assert item["next_report_on"] is not None

    changed = client.patch(f"{URL}/{subscription_id}", {"day_of_month": 3, "active": False})
    assert changed.status_code == 200
    assert (changed.json()["day_of_month"], changed.json()["active"]) == (3, False)
    assert changed.json()["next_report_on"] is None  # paused
    assert client.patch(f"{URL}/{subscription_id}", {"language": "nl"}).json()["language"] == "nl"

    assert client.delete(f"{URL}/{subscription_id}").status_code == 204
    assert not ReportSubscription.objects.exists()


def test_the_language_defaults_to_dutch(api_client, customer, viewer):
    answer = api_client(viewer).post(URL, {"customer_id": customer.pk, "day_of_month": 1})
    assert answer.status_code == 201
    assert ReportSubscription.objects.get().language == "nl"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"day_of_month": 0}, 400, "day_of_month"),
        ({"day_of_month": 29}, 400, "day_of_month"),
        ({"day_of_month": 31}, 400, "day_of_month"),
        ({"day_of_month": "x"}, 400, "day_of_month"),
        ({"language": "de"}, 400, "language"),
        ({"customer_id": "invisible"}, 404, "Customer not found"),
        ({"customer_id": 999999}, 404, "Customer not found"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(
    api_client, customer, viewer, body, status, words
):
    if body.get("customer_id") == "invisible":
        body = {**body, "customer_id": CustomerFactory(name="Not mine").pk}
    answer = api_client(viewer).post(
        URL, {"customer_id": customer.pk, "day_of_month": 5, "language": "nl", **body}
    )
    assert answer.status_code == status
    assert words in answer.json()["error"]
    assert not ReportSubscription.objects.exists()


def test_a_second_subscription_to_one_customer_is_a_409(api_client, customer, viewer):
    client = api_client(viewer)
    assert client.post(URL, {"customer_id": customer.pk, "day_of_month": 5}).status_code == 201
    again = client.post(URL, {"customer_id": customer.pk, "day_of_month": 9})
    assert again.status_code == 409
    assert again.json() == {"error": "You already receive the monthly report of this customer"}
    assert ReportSubscription.objects.get().day_of_month == 5


def test_bad_changes_are_refused_and_change_nothing(api_client, customer, viewer):
    client = api_client(viewer)
    subscription_id = client.post(URL, {"customer_id": customer.pk, "day_of_month": 5}).json()["id"]
    for body in ({"day_of_month": 31}, {"day_of_month": 0}, {"active": None}, {"language": "fr"}):
        assert client.patch(f"{URL}/{subscription_id}", body).status_code == 400
    subscription = ReportSubscription.objects.get()
    assert (subscription.day_of_month, subscription.active, subscription.language) == (
        5,
        True,
        "nl",
    )


def test_another_users_subscription_is_a_404_and_staff_may_list_it(
    api_client, customer, viewer, manager, staff_user
):
    mine = api_client(viewer).post(URL, {"customer_id": customer.pk, "day_of_month": 5})
    subscription_id = mine.json()["id"]
    other = api_client(manager)
    assert other.get(URL).json()["count"] == 0
    assert other.patch(f"{URL}/{subscription_id}", {"active": False}).status_code == 404
    assert other.delete(f"{URL}/{subscription_id}").status_code == 404
    assert other.get(f"{URL}?user={viewer.pk}").status_code == 403
    assert ReportSubscription.objects.get().active is True

    staff = api_client(staff_user)
    assert staff.get(URL).json()["count"] == 0  # staff's own
    listed = staff.get(f"{URL}?user={viewer.pk}").json()
    assert [item["id"] for item in listed["items"]] == [subscription_id]
    assert staff.get(f"{URL}?user=999999").status_code == 404


def test_a_partner_manager_may_subscribe_to_the_partners_customers(api_client):
    user = UserFactory(username="partner-manager")
    parent = CustomerFactory(name="Reseller")
    child = CustomerFactory(name="Child BV", partner=parent)
    MembershipFactory(user=user, customer=parent, role="manager")
    answer = api_client(user).post(URL, {"customer_id": child.pk, "day_of_month": 1})
    assert answer.status_code == 201


def test_not_logged_in_is_a_401(client):
    assert client.get(URL).status_code == 401
