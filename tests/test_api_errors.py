"""Whatever a user sends, the API answers JSON with the right status, never a 500."""

import pytest


@pytest.mark.django_db
def test_malformed_json_is_400(api_client, staff_user):
    response = api_client(staff_user).post("/api/customers", "{not json", content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()


@pytest.mark.django_db
def test_wrong_method_is_405_json(api_client, staff_user):
    response = api_client(staff_user).get("/api/users")
    assert response.status_code == 405 and response.json() == {"error": "Method not allowed"}


@pytest.mark.django_db
def test_unknown_api_path_is_404_json(api_client, staff_user):
    response = api_client(staff_user).get("/api/nothing-here")
    assert response.status_code == 404 and "error" in response.json()


@pytest.mark.django_db
def test_session_post_without_csrf_is_403(staff_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    response = client.post("/api/customers", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403 and "error" in response.json()


@pytest.mark.django_db
def test_session_post_with_csrf_works(staff_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    client.get("/")  # any page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post("/api/customers", {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/jobs/99999999999999999999", "/api/customers/-1", "/api/jobs/abc"])
def test_absurd_ids_are_4xx(api_client, staff_user, path):
    response = api_client(staff_user).get(path)
    assert 400 <= response.status_code < 500 and "error" in response.json()
