"""The page shell: login, home, menus, the customer switcher."""

import pytest
from django.test import Client

from tests.factories import CustomerFactory, MembershipFactory, UserFactory


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_login_with_the_right_password_and_not_with_a_wrong_one(client, manager):
    wrong = client.post("/login/", {"username": "manager", "password": "nope"})
    assert wrong.status_code == 200 and "komen niet overeen" in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    right = client.post("/login/", {"username": "manager", "password": "secret-pass-1"})
    assert right.status_code == 302 and right.url == "/"
    assert client.session["_auth_user_id"] == str(manager.pk)


@pytest.mark.django_db
def test_logout_is_a_post_and_ends_the_session(manager):
    client = logged_in(manager)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/overview/").url.startswith("/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/overview/", "/jobs/1/"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.url == f"/login/?next={path}"


@pytest.mark.django_db
def test_anonymous_switch_is_sent_to_login_and_changes_nothing(client, customer):
    response = client.post("/switch-customer/", {"customer_id": customer.pk})
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.django_db
def test_home_goes_to_the_usage_page_of_a_user_with_one_customer(customer, viewer):
    response = logged_in(viewer).get("/")
    assert response.status_code == 302 and response.url == f"/customers/{customer.pk}/usage/"


@pytest.mark.django_db
def test_home_shows_the_overview_until_a_customer_is_chosen(customer, staff_user):
    other = CustomerFactory(name="Beta BV")
    client = logged_in(staff_user)
    home = client.get("/")
    body = home.content.decode()
    assert home.status_code == 200 and "Acme BV" in body and "Beta BV" in body
    assert 'id="admin-links"' in body and 'href="/admin/syncs/recalculate-totals/"' in body
    client.post("/switch-customer/", {"customer_id": other.pk, "next": "/"})
    assert client.get("/").url == f"/customers/{other.pk}/usage/"
    assert client.get("/overview/").status_code == 200


@pytest.mark.django_db
def test_overview_lists_recent_jobs_the_user_may_see(customer, viewer):
    from telcost.jobs.diagnostics import PROBE_KIND
    from telcost.jobs.services import StepSpec, job_dispatch

    mine = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    hidden = job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=CustomerFactory()
    ).job
    body = logged_in(viewer).get("/overview/").content.decode()
    assert f'href="/jobs/{mine.pk}/"' in body and f'href="/jobs/{hidden.pk}/"' not in body
    assert 'id="admin-links"' not in body


@pytest.mark.django_db
def test_admin_menu_only_for_staff_and_partner_managers(customer, manager, viewer, staff_user):
    assert 'id="admin-menu"' not in logged_in(manager).get("/overview/").content.decode()
    assert 'id="admin-menu"' not in logged_in(viewer).get("/overview/").content.decode()
    staff_page = logged_in(staff_user).get("/overview/").content.decode()
    assert 'id="admin-menu"' in staff_page and 'href="/django-admin/"' in staff_page
    partner = CustomerFactory(name="Partner")
    CustomerFactory(name="Kid", partner=partner)
    partner_manager = UserFactory()
    MembershipFactory(user=partner_manager, customer=partner, role="manager")
    partner_page = logged_in(partner_manager).get("/overview/").content.decode()
    assert 'id="admin-menu"' in partner_page
    for path in (
        "/admin/syncs/recalculate-totals/",
        "/admin/sim-cards/simacties/",
        "/admin/cost-centers/",
    ):
        assert f'href="{path}' in partner_page  # Simacties names the current customer
    assert 'href="/django-admin/"' not in partner_page
    partner_viewer = UserFactory()
    MembershipFactory(user=partner_viewer, customer=partner, role="viewer")
    assert 'id="admin-menu"' not in logged_in(partner_viewer).get("/overview/").content.decode()


@pytest.mark.django_db
def test_customer_menu_links_to_the_current_customers_pages(customer, viewer):
    body = logged_in(viewer).get("/overview/").content.decode()
    assert f'href="/customers/{customer.pk}/usage/"' in body
    assert f'href="/customers/{customer.pk}/sync-profiles/"' in body
    assert 'id="customer-menu"' in body


@pytest.mark.django_db
def test_a_user_without_customers_gets_an_overview_without_customer_menu(outsider):
    response = logged_in(outsider).get("/")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="customer-menu"' not in body
    assert "U heeft nog geen klanten." in body


@pytest.mark.django_db
def test_switcher_lists_only_visible_customers_and_refuses_others(customer, viewer):
    other = CustomerFactory(name="Secret BV")
    client = logged_in(viewer)
    assert "Secret BV" not in client.get("/overview/").content.decode()
    refused = client.post("/switch-customer/", {"customer_id": other.pk, "next": "/"})
    assert refused.status_code == 403 and "Secret BV" not in refused.content.decode()
    for bad in ("abc", "", "99999999", "-1"):
        assert (
            client.post("/switch-customer/", {"customer_id": bad, "next": "/"}).status_code == 403
        )
    assert client.post("/switch-customer/", {"next": "/"}).status_code == 403
    assert client.get("/switch-customer/").status_code == 405
    # Nothing was stored: the menu still shows the customer the user may see.
    assert f'href="/customers/{customer.pk}/usage/"' in client.get("/overview/").content.decode()


@pytest.mark.django_db
def test_switching_keeps_the_kind_of_page(customer):
    second = CustomerFactory(name="Beta")
    user = UserFactory()
    MembershipFactory(user=user, customer=customer)
    MembershipFactory(user=user, customer=second)
    client = logged_in(user)
    response = client.post(
        "/switch-customer/",
        {"customer_id": second.pk, "next": f"/customers/{customer.pk}/usage/?month=2026-09"},
    )
    assert (
        response.status_code == 302
        and response.url == f"/customers/{second.pk}/usage/?month=2026-09"
    )
    assert f'href="/customers/{second.pk}/usage/"' in client.get("/overview/").content.decode()
    # A page about one object of the old customer has no counterpart: home.
    job_page = client.post(
        "/switch-customer/",
        {"customer_id": customer.pk, "next": f"/customers/{second.pk}/usage/jobs/5"},
    )
    assert job_page.url == "/"
    query = client.post(
        "/switch-customer/",
        {
            "customer_id": second.pk,
            "next": f"/admin/sim-cards/simacties/?customer_id={customer.pk}",
        },
    )
    assert query.url == f"/admin/sim-cards/simacties/?customer_id={second.pk}"
    for offsite in ("https://evil.example/", "//evil.example/x", "/no/such/page/"):
        assert (
            client.post("/switch-customer/", {"customer_id": second.pk, "next": offsite}).url == "/"
        )
