"""Every main page in Dutch, as every role, in a real browser: no English words, no code names,
no ISO timestamps, and the formats a Dutch finance team reads (issue 17 items 1 and 2).

The pages are those of tests/web/finance_month.py: a customer whose September costs € 7.482,3056,
with versions, a sync, addons, cost centers and a failed job. A role refused a page sees the
403 page, which is checked as well; so is the 404 page. Job kinds and steps show their
registry labels ("Totalen berekenen"), also before a job's error.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.web.finance_month import ROLES, finance_month, main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# English words and code names a Dutch page must not show (whole words, case as written).
ENGLISH = [
    "Recalculate",
    "Agree",
    "Are you sure",
    "Cancel",
    "Submit",
    "Success",
    "Access denied",
    "Too many requests",
    "Forbidden",
    "Not Found",
    "Page not found",
    "Usage",
    "Overview",
    "Customer",
    "Customers",
    "Total",
    "Cost",
    "Duration",
    "Version",
    "Versions",
    "Reason",
    "Month",
    "Created",
    "Finished",
    "Fetched",
    "Imported",
    "Rejected",
    "Duplicates",
    "Download",
    "Log out",
    "Recent",
    "Insights",
    "Activated",
    "History",
    "Schedule",
    "Reference",
    "Count",
    "Subscriptions",
    "When",
    "Compare",
    "Anomalies",
    "Roaming cost",
    "active",
    "cancelled",
    "pending",
    "running",
    "completed",
    "failed",
    "queued",
    "succeeded",
    "skipped",
    "expired",
    "manual",
    "admin",
    "success",
    "unknown",
    "Command",
    "routit",
    "None",
    "True",
    "False",
    "the",
    "has",
    "not",
    "calculated",
    "yes",
    "no",
]
_ENGLISH = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")
# data_boost, rate_limited, file_drop, recalculate_totals: a stored code shown as it is.
_CODE_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[A-Za-z]+Command\b")  # and CalculateTotalsCommand
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
_RAW_NUMBER = re.compile(r"\d\.\d{4}\b|\b\d{5,}\b(?! ?(?:KB|MB|GB))")  # 7482.3056, 212317

_TEXT_OF_PAGE = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("#language-switcher").forEach((e) => e.remove());
  // Scripts are never shown: a json_script's data (a chart's config) is for the code.
  body.querySelectorAll("script").forEach((e) => e.remove());
  const labels = [...document.querySelectorAll("[aria-label], [placeholder], [title]")]
    .filter((e) => !e.closest("#language-switcher"))
    .map((e) => ["aria-label", "placeholder", "title"].map((n) => e.getAttribute(n)).join(" "));
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const texts = [];
  // One cell's text apart from the next.
  while (walker.nextNode()) texts.push(walker.currentNode.nodeValue);
  return [document.title, texts.join("\\n"), ...labels].join("\\n");
}"""


def _problems(text: str, identifiers: set[str]) -> list[str]:
    for identifier in identifiers:
        text = text.replace(identifier, "")
    found = [f"English: {m}" for m in _ENGLISH.findall(text)]
    found += [f"code name: {m}" for m in _CODE_NAME.findall(text)]
    found += [f"ISO time: {m}" for m in _ISO_TIME.findall(text)]
    found += [f"raw number: {m}" for m in _RAW_NUMBER.findall(text)]
    return sorted(set(found))


@pytest.fixture
def month(live_url, drain_jobs):
    return finance_month(drain_jobs)


def _log_in_as(page, live_url: str, login, role: str) -> None:
    page.context.clear_cookies()
    login(page, role)


def test_every_main_page_is_dutch_for_every_role(page, live_url, login, month):
    from telcost.customers.models import Device

    # A device's numbers are identifiers, not figures to format.
    identifiers = {n for d in Device.objects.all() for n in (d.msisdn, d.iccid) if n}
    page.goto(f"{live_url}/login/")
    problems = {"/login/": _problems(page.evaluate(_TEXT_OF_PAGE), identifiers)}
    for role in ROLES:
        _log_in_as(page, live_url, login, role)
        for path in main_pages(month):
            page.goto(f"{live_url}{path}")
            expect(page.locator("html")).to_have_attribute("lang", "nl")
            if (
                path.startswith("/admin/syncs/recalculate-totals/")
                and page.locator("#recalc-open-confirm").count()
            ):
                page.click("#recalc-open-confirm")  # the confirmation names the months as words
                expect(page.locator("#confirm-dates")).not_to_be_empty()
            found = _problems(page.evaluate(_TEXT_OF_PAGE), identifiers)
            if found:
                problems[f"{role} {path}"] = found
    problems = {where: found for where, found in problems.items() if found}
    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())


def test_the_usage_page_reads_in_dutch_formats_then_english(page, live_url, login, month):
    login(page, "manager")
    page.goto(f"{live_url}/customers/{month.customer.pk}/usage/?month=2026-09")
    expect(page.locator("#total-cost")).to_have_text("€ 7.482,31")
    summary = page.locator("#totals-summary")
    expect(summary).to_contain_text("58:58:37")
    expect(summary).to_contain_text("16,97 GB")
    expect(page.locator("#totals-versions")).to_contain_text("handmatig")
    expect(page.locator("#totals-version")).to_have_text(
        re.compile(r"berekend op \d{1,2}-\d{1,2}-2026 \d\d:\d\d$")
    )
    page.click("#language-switcher button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#total-cost")).to_have_text("€7,482.31")
    expect(summary).to_contain_text("16.97 GB")
    expect(page.locator("#totals-version")).to_have_text(
        re.compile(r"calculated at \d{1,2} [A-Z][a-z]{2} 2026, \d\d:\d\d$")
    )
    page.goto(f"{live_url}/customers/{month.customer.pk}/sync-profiles/")
    expect(page.locator("#sync-tasks")).to_contain_text("12,345")
    expect(page.locator("#sync-tasks")).to_contain_text("September 2026")


def test_the_addons_page_names_addons_statuses_and_outcomes_in_dutch(page, live_url, login, month):
    login(page, "reseller")
    page.goto(f"{live_url}/admin/sim-cards/simacties/?customer_id={month.customer.pk}")
    table = page.locator("#addons-table")
    expect(table).to_contain_text("Databoost 5 GB")
    expect(table).to_contain_text("actief")
    expect(page.locator("#addon-history")).to_contain_text("te veel verzoeken")
    expect(page.locator("#addon-history")).to_contain_text("Te veel verzoeken")
    expect(page.locator("#addon-type option").first).to_have_text("Databoost 5 GB")
