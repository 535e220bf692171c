"""Users and my account in a real browser: staff create a user and give a membership (Dutch),
the new user logs in and sees the customer; a user changes their password and creates and revokes
an API token (English); managers and viewers are refused the users pages."""

import re

import pytest
from playwright.sync_api import expect

from telcost.accounts.models import ApiToken, hash_token
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Brand-new-secret-42"


def test_staff_create_a_user_give_a_membership_and_the_user_sees_the_customer(
    page, live_url, login, staff_user
):
    CustomerFactory(name="Acme BV")
    CustomerFactory(name="Zeta BV")
    login(page, "staff")
    page.locator("#admin-menu summary").click()
    expect(page.locator("#users-link")).to_have_text("Gebruikers")
    page.click("#users-link")
    expect(page.locator("h1")).to_have_text("Gebruikers")
    page.click("#user-new-link")
    page.fill("#id_username", "nieuweling")
    page.fill("#id_email", "nieuweling@example.test")
    page.check("input[name=password_mode][value=password]")
    page.fill("#id_password", "kort")
    page.click("#user-new-submit")
    expect(page.locator(".errorlist")).to_contain_text("te kort")  # Django's validators, in Dutch
    page.screenshot(path=_shot("user-new-nl"), full_page=True)
    page.check("input[name=password_mode][value=password]")
    page.fill("#id_password", NEW_PASSWORD)
    page.click("#user-new-submit")
    expect(page.locator("h1")).to_have_text("nieuweling")
    expect(page.locator(".messages")).to_contain_text("Gebruiker nieuweling is aangemaakt.")
    expect(page.locator("#membership-list")).to_contain_text("Geen lidmaatschappen")

    page.select_option("#id_customer", label="Zeta BV")
    page.select_option("#id_role", "viewer")
    page.click("#membership-add-submit")
    row = page.locator("#membership-list tr.membership")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Zeta BV")
    expect(row.locator(".membership-role")).to_have_text("kijker")
    page.screenshot(path=_shot("user-edit-nl"), full_page=True)

    page.goto(f"{live_url}/users/?q=nieuw")
    expect(page.locator("#users tr.user-row")).to_have_count(1)
    expect(page.locator("#users")).to_contain_text("Zeta BV (kijker)")
    page.screenshot(path=_shot("users-nl"), full_page=True)

    page.context.clear_cookies()
    login(page, "nieuweling", NEW_PASSWORD)
    page.goto(f"{live_url}/overview/")
    expect(page.locator("main")).to_contain_text("Zeta BV")
    expect(page.locator("main")).not_to_contain_text("Acme BV")


def test_a_user_changes_their_password_and_manages_tokens_in_english(page, live_url, login, viewer):
    login(page, "viewer")
    page.click("#language-switcher button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("#current-user")
    expect(page.locator("h1")).to_contain_text("My account")

    page.fill("#id_token_name", "reporting script")
    page.click("#token-create-submit")
    expect(page.locator("#new-token")).to_contain_text("not shown again")
    raw = page.locator("#new-token-value").input_value()
    token = ApiToken.objects.get(user=viewer)
    assert token.key_hash == hash_token(raw) and token.name == "reporting script"
    row = page.locator("#token-list tr.token")
    expect(row).to_have_count(1)
    expect(row.locator(".token-name")).to_have_text("reporting script")
    expect(row.locator(".token-last-used")).to_have_text("never")
    created = row.locator(".token-created").inner_text()
    assert "T" not in created and re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}", created), created
    page.screenshot(path=_shot("account-en"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator(".token-revoke").click()
    expect(page.locator("#token-list tr.token")).to_have_count(0)
    assert not ApiToken.objects.filter(user=viewer).exists()

    page.fill("#id_old_password", "wrong-password")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("#password-submit")
    expect(page.locator("#password-form .errorlist")).to_be_visible()
    page.fill("#id_old_password", "secret-pass-1")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("#password-submit")
    expect(page.locator(".messages")).to_contain_text("Your password was changed.")
    viewer.refresh_from_db()
    assert viewer.check_password(NEW_PASSWORD)
    page.context.clear_cookies()
    login(page, "viewer", NEW_PASSWORD)
    expect(page.locator("#current-user")).to_have_text("viewer")


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_managers_and_viewers_are_refused_the_users_pages(page, live_url, login, role, request):
    request.getfixturevalue(role)
    login(page, role)
    expect(page.locator("#users-link")).to_have_count(0)
    response = page.goto(f"{live_url}/users/")
    assert response.status == 403
    # Their own account page they may use.
    response = page.goto(f"{live_url}/account/")
    assert response.status == 200
    expect(page.locator("h1")).to_contain_text("Mijn account")


def _shot(name: str) -> str:
    import os
    from pathlib import Path

    folder = Path(os.environ.get("TELCOST_VAR_DIR") or "var") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{name}.png")
