"""Every main page at 390 and 1366 px for every role (issue 17 item 9), in Dutch
and in English: no horizontal page scroll (tables scroll inside their card), the menus fold
behind a button at 390 px, text contrast at least WCAG AA, and a screenshot of each page in
$TELCOST_VAR_DIR/screens/ to look at.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.finance_month import ROLES, finance_month, main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": (390, 844), "laptop": (1366, 900)}

# Text whose colour is below 4.5:1 against what is behind it (3:1 for large text): each as
# "selector-ish: ratio". Disabled controls are exempt (WCAG 1.4.3).
_LOW_CONTRAST = """() => {
  function rgba(text) {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function lum(c) {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  }
  function over(top, below) {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + below[i] * (1 - a)).concat([1]);
  }
  function background(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = rgba(getComputedStyle(e).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  }
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.nodeValue.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest("[disabled], [aria-disabled=true], dialog:not([open]), [hidden]")) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || el.getClientRects().length === 0) continue;
    const colour = over(rgba(style.color), background(el));
    const bg = background(el);
    const [a, b] = [lum(colour), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      const text = node.nodeValue.trim().slice(0, 30);
      found.push(`${el.tagName.toLowerCase()}.${el.className} "${text}": ${ratio.toFixed(2)}`);
    }
  }
  return found;
}"""

_OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _screens_dir() -> Path:
    base = Path(os.environ.get("TELCOST_VAR_DIR") or Path(__file__).resolve().parents[2] / "var")
    folder = base / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def month(live_url, drain_jobs):
    return finance_month(drain_jobs)


def _name(path: str) -> str:
    return path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "home"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_main_page_fits_390_and_1366_px_for_every_role(browser, live_url, month, language):
    from tests.browser.conftest import log_in

    folder = _screens_dir()
    problems = []
    for role in ROLES:
        for width_name, (width, height) in WIDTHS.items():
            context = browser.new_context(
                locale="nl-NL", viewport={"width": width, "height": height}
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            log_in(page, live_url, role)
            if language == "en":
                page.click("#language-switcher button[value=en]", force=True) if (
                    page.locator("#language-switcher").is_visible()
                ) else context.add_cookies(
                    [{"name": "django_language", "value": "en", "url": live_url}]
                )
            for path in main_pages(month):
                page.goto(f"{live_url}{path}")
                expect(page.locator("html")).to_have_attribute("lang", language)
                overflow = page.evaluate(_OVERFLOW)
                if overflow > 0:
                    problems.append(f"{language} {role} {width}px {path}: {overflow}px too wide")
                for low in page.evaluate(_LOW_CONTRAST):
                    problems.append(f"{language} {role} {width}px {path}: contrast {low}")
                page.screenshot(
                    path=str(folder / f"{language}-{role}-{width_name}-{_name(path)}.png"),
                    full_page=True,
                )
            context.close()
    assert not problems, "\n".join(problems)


def test_the_contrast_check_finds_grey_on_white(page, live_url, login, month):
    login(page, "viewer")
    page.goto(f"{live_url}/overview/")
    assert page.evaluate(_LOW_CONTRAST) == []
    page.evaluate(
        """() => { const p = document.createElement("p"); p.textContent = "pale";
                   p.style.color = "#999"; p.style.background = "#fff";
                   document.querySelector("main").append(p); }"""
    )
    assert [low for low in page.evaluate(_LOW_CONTRAST) if '"pale"' in low]


def test_the_menus_fold_behind_a_button_at_390_px_and_escape_closes_them(browser, live_url, month):
    from tests.browser.conftest import log_in

    context = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_url, "manager")
    page.goto(f"{live_url}/customers/{month.customer.pk}/usage/?month=2026-09")
    toggle = page.locator("#menu-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("Menu")
    expect(page.locator("#main-menu")).to_be_hidden()
    expect(page.locator("#customer-switcher, #logout-form").first).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#main-menu")).to_be_visible()
    expect(page.locator("#logout-form")).to_be_visible()
    page.locator("#customer-menu summary").click()
    expect(page.locator("#cost-centers-link")).to_be_visible()
    assert page.evaluate(_OVERFLOW) <= 0
    page.screenshot(path=str(_screens_dir() / "nl-manager-phone-menu-open.png"))
    page.keyboard.press("Escape")  # first the open menu
    expect(page.locator("#cost-centers-link")).to_be_hidden()
    page.keyboard.press("Escape")  # then the folded bar
    expect(page.locator("#main-menu")).to_be_hidden()
    expect(toggle).to_be_focused()
    context.close()
    # At 1366 px there is no button: the menus are always there.
    context = browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_url, "manager")
    expect(page.locator("#menu-toggle")).to_be_hidden()
    expect(page.locator("#main-menu")).to_be_visible()
    context.close()


def test_a_wide_table_scrolls_inside_its_card_at_390_px(browser, live_url, month):
    from tests.browser.conftest import log_in

    context = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_url, "manager")
    page.goto(f"{live_url}/customers/{month.customer.pk}/sync-profiles/")
    table = page.locator("#sync-tasks")
    expect(table).to_be_visible()
    widths = table.evaluate(
        "(t) => [t.scrollWidth, t.clientWidth, document.documentElement.scrollWidth, innerWidth]"
    )
    assert widths[0] > widths[1], widths  # the table is wider than its box: it scrolls itself
    assert widths[2] <= widths[3], widths  # and the page does not
    context.close()
