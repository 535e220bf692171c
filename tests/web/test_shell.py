import pytest
from django.test import Client

from tests.factories import CustomerFactory, MembershipFactory, UserFactory


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_login_page_is_dutch_by_default_even_for_an_english_browser(client):
    body = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    assert "Inloggen" in body and "Gebruikersnaam" in body and "Wachtwoord" in body


@pytest.mark.django_db
def test_choosing_english_switches_the_labels(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"}, follow=True)
    body = response.content.decode()
    assert "Username" in body and "Gebruikersnaam" not in body


@pytest.mark.django_db
def test_login_with_the_right_password_and_not_with_a_wrong_one(client, manager):
    wrong = client.post("/login/", {"username": "manager", "password": "nope"})
    assert wrong.status_code == 200 and "komen niet overeen" in wrong.content.decode()
    right = client.post("/login/", {"username": "manager", "password": "secret-pass-1"})
    assert right.status_code == 302 and right.url == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/jobs/1/"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.django_db
def test_admin_menu_only_for_staff_and_partner_managers(customer, manager, staff_user):
    assert 'id="admin-menu"' not in logged_in(manager).get("/").content.decode()
    assert 'id="admin-menu"' in logged_in(staff_user).get("/").content.decode()
    partner = CustomerFactory(name="Partner")
    CustomerFactory(name="Kid", partner=partner)
    partner_manager = UserFactory()
    MembershipFactory(user=partner_manager, customer=partner, role="manager")
    assert 'id="admin-menu"' in logged_in(partner_manager).get("/").content.decode()


@pytest.mark.django_db
def test_customer_menu_links_to_the_current_customers_pages(customer, viewer):
    body = logged_in(viewer).get("/").content.decode()
    assert f'href="/customers/{customer.pk}/usage/"' in body
    assert f'href="/customers/{customer.pk}/sync-profiles/"' in body


@pytest.mark.django_db
def test_switcher_lists_only_visible_customers_and_refuses_others(customer, viewer):
    other = CustomerFactory(name="Secret BV")
    client = logged_in(viewer)
    assert "Secret BV" not in client.get("/").content.decode()
    refused = client.post("/switch-customer/", {"customer_id": other.pk, "next": "/"})
    assert refused.status_code == 403
    assert client.post("/switch-customer/", {"customer_id": "abc", "next": "/"}).status_code == 403
    assert f'href="/customers/{customer.pk}/usage/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_switching_keeps_the_kind_of_page(customer):
    second = CustomerFactory(name="Beta")
    user = UserFactory()
    MembershipFactory(user=user, customer=customer)
    MembershipFactory(user=user, customer=second)
    client = logged_in(user)
    response = client.post("/switch-customer/", {"customer_id": second.pk, "next": f"/customers/{customer.pk}/usage/?month=2026-09"})
    assert response.status_code == 302 and response.url == f"/customers/{second.pk}/usage/?month=2026-09"
    assert f'href="/customers/{second.pk}/usage/"' in client.get("/").content.decode()
    offsite = client.post("/switch-customer/", {"customer_id": second.pk, "next": "https://evil.example/"})
    assert offsite.url == "/"


@pytest.mark.django_db
def test_job_page_shows_a_live_status_that_stops_polling_when_done(customer, viewer, drain_jobs, outsider):
    from telcost.jobs.services import StepSpec, job_dispatch

    job = job_dispatch(kind="probe", steps=[StepSpec("Probe")], customer=customer)
    client = logged_in(viewer)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "spinner" in page
    drain_jobs()
    fragment = client.get(f"/jobs/{job.pk}/status").content.decode()
    assert "completed" in fragment and "hx-trigger" not in fragment
    assert logged_in(outsider).get(f"/jobs/{job.pk}/").status_code == 404
