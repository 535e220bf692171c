"""The "Monthly reports" section of My account without a browser: what each user sees, and
forms that are refused (a customer not visible, another user's subscription) write nothing."""

import pytest

from telcost.reports.models import ReportSubscription
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_account_page_shows_the_section_with_the_visible_customers(client, viewer):
    CustomerFactory(name="Not mine BV")
    client.force_login(viewer)
    page = client.get("/account/").content.decode()
    assert 'id="reports"' in page and "Maandrapporten" in page
    assert "Acme BV" in page and "Not mine BV" not in page


def test_subscribing_without_javascript_returns_to_the_account_page(client, customer, viewer):
    client.force_login(viewer)
    answer = client.post(
        "/account/reports/", {"customer": customer.pk, "day_of_month": 7, "language": "en"}
    )
    assert answer.status_code == 302 and answer.url == "/account/"
    subscription = ReportSubscription.objects.get()
    assert (subscription.user, subscription.day_of_month, subscription.language) == (
        viewer,
        7,
        "en",
    )
    page = client.get("/account/").content.decode()
    assert "U bent geabonneerd op het maandrapport." in page


@pytest.mark.parametrize("day", ["0", "29", "31", "x"])
def test_a_day_outside_1_to_28_is_refused(client, customer, viewer, day):
    client.force_login(viewer)
    answer = client.post(
        "/account/reports/",
        {"customer": customer.pk, "day_of_month": day, "language": "nl"},
        **HTMX,
    )
    assert answer.status_code == 400
    assert 'id="report-error"' in answer.content.decode()
    assert not ReportSubscription.objects.exists()


def test_a_customer_the_user_may_not_see_is_refused(client, viewer):
    hidden = CustomerFactory(name="Not mine BV")
    client.force_login(viewer)
    answer = client.post(
        "/account/reports/", {"customer": hidden.pk, "day_of_month": 5, "language": "nl"}, **HTMX
    )
    assert answer.status_code == 400
    assert not ReportSubscription.objects.exists()


def test_another_users_subscription_cannot_be_changed_or_removed(client, customer, viewer, manager):
    theirs = ReportSubscription.objects.create(
        user=manager, customer=customer, day_of_month=5, language="nl"
    )
    client.force_login(viewer)
    for data in ({"action": "delete"}, {"action": "pause"}, {"day_of_month": 9, "language": "en"}):
        answer = client.post(f"/account/reports/{theirs.pk}/", data, **HTMX)
        assert answer.status_code == 400
        assert "Dit abonnement bestaat niet meer." in answer.content.decode()
    theirs.refresh_from_db()
    assert (theirs.day_of_month, theirs.language, theirs.active) == (5, "nl", True)


def test_change_pause_and_unsubscribe(client, customer, viewer):
    mine = ReportSubscription.objects.create(
        user=viewer, customer=customer, day_of_month=5, language="nl"
    )
    client.force_login(viewer)
    url = f"/account/reports/{mine.pk}/"
    assert client.post(url, {"day_of_month": 28, "language": "en"}, **HTMX).status_code == 200
    assert client.post(url, {"day_of_month": 29, "language": "en"}, **HTMX).status_code == 400
    assert client.post(url, {"action": "pause"}, **HTMX).status_code == 200
    mine.refresh_from_db()
    assert (mine.day_of_month, mine.language, mine.active) == (28, "en", False)
    assert client.post(url, {"action": "delete"}, **HTMX).status_code == 200
    assert not ReportSubscription.objects.exists()


def test_logged_out_is_sent_to_the_login(client, customer):
    answer = client.post("/account/reports/", {"customer": customer.pk, "day_of_month": 5})
    assert answer.status_code == 302 and "/login/" in answer.url
