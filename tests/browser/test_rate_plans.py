"""Admin → Rate plans: staff add a version through the editor (Dutch and English) and create a
plan; a bad value is shown next to its field and nothing is saved; a manager reads its
customers' plan without the editor; a viewer and another customer's manager are refused."""

import pytest
from playwright.sync_api import expect

from telcost.customers.models import RatePlan, RatePlanVersion
from tests.factories import CustomerFactory, MembershipFactory, RatePlanFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def datri(customer):
    customer.kind, customer.rate_plan = "rateplan", RatePlanFactory()
    customer.name = "Datri"
    customer.save()
    return customer


def test_staff_add_a_version_in_dutch_and_a_bad_value_saves_nothing(
    page, live_url, login, datri, staff_user
):
    login(page, "staff")
    page.goto(f"{live_url}/")
    page.locator("#admin-menu summary").click()
    expect(page.locator("#rate-plans-link")).to_have_text("Tariefplannen")
    page.click("#rate-plans-link")
    row = page.locator("#rate-plans tr.rate-plan[data-code=biz-2026]")
    expect(row).to_contain_text("€ 12,50")
    row.locator("a").click()
    expect(page.locator("h1")).to_contain_text("Tariefplan biz-2026")
    expect(page.locator("#rate-plan-versions")).to_contain_text("januari 2000")
    expect(page.locator("#rate-plan-customers")).to_contain_text("Datri")
    page.click("#rate-plan-add-version")
    # Prefilled from the latest version, in Dutch number format.
    expect(page.locator("#id_monthly_fee")).to_have_value("12,50")
    expect(page.locator("#id_voice_per_minute_international")).to_have_value("0,80")
    expect(page.locator("#id_bundle_zones_0")).to_be_checked()

    # A bad value: shown next to its field, nothing saved.
    page.fill("#id_valid_from", "2026-11")
    page.fill("#id_monthly_fee", "-3")
    page.fill("#id_voice_initial_increment_s", "0")
    page.click("#rate-plan-editor-submit")
    expect(page.locator("#error-monthly_fee")).to_be_visible()
    expect(page.locator("#error-voice_initial_increment_s")).to_contain_text("1")
    expect(page.locator("#editor-errors")).to_contain_text("niets opgeslagen")
    assert RatePlanVersion.objects.count() == 1

    page.fill("#id_monthly_fee", "14,75")
    page.fill("#id_voice_initial_increment_s", "30")
    page.fill("#id_voice_per_minute_national", "0,12")
    page.fill("#id_sms_per_message_international", "")
    page.uncheck("#id_bundle_zones_1")
    page.click("#rate-plan-editor-submit")
    page.wait_for_url(f"{live_url}/admin/rate-plans/biz-2026/#version-2026-11")
    new_row = page.locator("#version-2026-11")
    expect(new_row).to_contain_text("november 2026")
    expect(new_row.locator(".version-fee")).to_have_text("€ 14,75")
    expect(page.locator(".messages")).to_contain_text("opgeslagen")
    version = RatePlanVersion.objects.get(valid_from="2026-11-01")
    assert version.monthly_fee == 14.75
    assert version.definition["voice"]["initial_increment_s"] == 30
    assert version.definition["voice"]["per_minute"]["national"] == "0.12"
    assert "international" not in version.definition["sms"]["per_message"]
    assert version.definition["bundle"]["zones"] == ["national"]

    # The same month again: refused next to the month, nothing saved.
    page.goto(f"{live_url}/admin/rate-plans/biz-2026/versions/new")
    page.fill("#id_valid_from", "2026-11")
    page.click("#rate-plan-editor-submit")
    expect(page.locator("#error-valid_from")).to_contain_text("al een versie")
    assert RatePlanVersion.objects.count() == 2


def test_staff_add_a_version_in_english(page, live_url, login, datri, staff_user):
    login(page, "staff")
    page.goto(f"{live_url}/admin/rate-plans/biz-2026/versions/new")
    page.click("#language-switcher button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#section-voice legend")).to_have_text("Voice")
    expect(page.locator("#id_monthly_fee")).to_have_value("12.50")
    page.fill("#id_valid_from", "2026-12")
    page.fill("#id_data_increment_kb", "")
    page.click("#rate-plan-editor-submit")
    expect(page.locator("#error-data_increment_kb")).to_have_text("This field is required.")
    assert RatePlanVersion.objects.count() == 1
    page.fill("#id_data_increment_kb", "10")
    page.fill("#id_monthly_fee", "1234.5")
    page.click("#rate-plan-editor-submit")
    expect(page.locator("#version-2026-12 .version-fee")).to_have_text("€1,234.50")
    expect(page.locator("#version-2026-12")).to_contain_text("December 2026")
    assert RatePlanVersion.objects.get(valid_from="2026-12-01").definition["data"] == {
        "increment_kb": 10,
        "per_mb": {"national": "0.02", "eu": "0.02", "international": "5.00"},
    }


def test_a_manager_reads_its_plan_and_others_are_refused(
    page, live_url, login, datri, manager, viewer
):
    other_plan = RatePlanFactory(code="other-plan")
    stranger = UserFactory(username="stranger")
    MembershipFactory(
        user=stranger,
        customer=CustomerFactory(kind="rateplan", rate_plan=other_plan),
        role="manager",
    )

    login(page, "manager")
    page.goto(f"{live_url}/admin/rate-plans/")
    expect(page.locator("#rate-plans tr.rate-plan")).to_have_count(1)
    page.click("text=biz-2026")
    expect(page.locator("#rate-plan-versions .version-fee")).to_have_text("€ 12,50")
    expect(page.locator("#rate-plan-customers")).to_contain_text("Datri")
    expect(page.locator("#rate-plan-add-version")).to_have_count(0)
    assert page.goto(f"{live_url}/admin/rate-plans/biz-2026/versions/new").status == 403
    assert page.goto(f"{live_url}/admin/rate-plans/new").status == 403
    assert page.goto(f"{live_url}/admin/rate-plans/other-plan/").status == 404

    page.context.clear_cookies()
    login(page, "viewer")
    assert page.goto(f"{live_url}/admin/rate-plans/").status == 403
    assert page.goto(f"{live_url}/admin/rate-plans/biz-2026/").status == 403

    page.context.clear_cookies()
    login(page, "stranger")
    assert page.goto(f"{live_url}/admin/rate-plans/biz-2026/").status == 404
    assert page.goto(f"{live_url}/admin/rate-plans/biz-2026/versions/new").status == 404
    assert RatePlanVersion.objects.count() == 2  # each plan's first
    assert RatePlan.objects.get(code="biz-2026").versions.count() == 1


def test_staff_create_a_plan_with_the_editor(page, live_url, login, datri, staff_user):
    login(page, "staff")
    page.goto(f"{live_url}/admin/rate-plans/")
    page.click("#rate-plan-new")
    expect(page.locator("#id_valid_from")).to_have_value("2000-01")
    page.fill("#id_code", "zakelijk 2027")
    page.fill("#id_name", "Zakelijk 2027")
    page.fill("#id_monthly_fee", "9,95")
    page.fill("#id_voice_per_minute_national", "0,07")
    page.fill("#id_sms_per_message_national", "0,05")
    page.fill("#id_data_per_mb_national", "0,01")
    page.click("#rate-plan-editor-submit")
    expect(page.locator("#error-code")).to_contain_text("letters")
    assert not RatePlan.objects.filter(name="Zakelijk 2027").exists()
    page.fill("#id_code", "biz-2026")
    page.click("#rate-plan-editor-submit")
    expect(page.locator("#error-code")).to_contain_text("bestaat al")
    page.fill("#id_code", "zakelijk-2027")
    page.click("#rate-plan-editor-submit")
    page.wait_for_url(f"{live_url}/admin/rate-plans/zakelijk-2027/#version-2000-01")
    expect(page.locator("#version-2000-01 .version-fee")).to_have_text("€ 9,95")
    version = RatePlan.objects.get(code="zakelijk-2027").versions.get()
    assert version.definition["voice"]["per_minute"] == {"national": "0.07"}
    assert version.definition["code"] == "zakelijk-2027"
