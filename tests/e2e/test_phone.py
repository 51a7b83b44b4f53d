"""At 360 px, in English and Chinese: no page of the main journeys scrolls sideways, tables
become labelled cards, and forms submit by touch."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from core.demo import ADMIN_EMAIL, DEMO_PASSWORD, PEOPLE

EMAILS = {key: email for key, email, *_rest in PEOPLE}
PHONE = 360
DESKTOP = 1280
# The pages each role's journey goes through (two of each shape are enough).
JOURNEYS = {
    None: [
        "/", "/needs", "/needs/1", "/incidents/1", "/projects/1", "/reports", "/organizations",
        "/organizations/1", "/data", "/volunteers/shifts", "/incidents/1/giving",
        "/ledger?incident_id=1", "/help", "/search?q=water",
    ],
    EMAILS["official"]: [
        "/home", "/needs", "/needs/1", "/projects", "/projects/1", "/supervision",
        "/manage/incidents", "/matching", "/funds", "/account", "/search?q=Willow",
    ],
    EMAILS["ngo"]: [
        "/home", "/tasks/ours", "/offers", "/my-matches", "/volunteers/organize", "/account",
    ],
    EMAILS["volunteer"]: ["/home", "/volunteers/me", "/volunteers/shifts", "/account"],
    EMAILS["donor"]: ["/home", "/my-donations", "/incidents/1/giving", "/account"],
    ADMIN_EMAIL: ["/admin/organizations", "/admin/users", "/admin/audit"],
}  # fmt: skip


def _wait(driver, condition, seconds=10):
    return WebDriverWait(driver, seconds).until(condition)


def _open_as(driver, base, email, locale):
    driver.delete_all_cookies()
    if email:
        driver.get(f"{base}/login")
        driver.find_element(By.ID, "f-email").send_keys(email)
        driver.find_element(By.ID, "f-password").send_keys(DEMO_PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        _wait(driver, ec.url_contains("/home"))
    else:
        driver.get(f"{base}/login")
    if locale == "zh_Hans":
        driver.find_element(By.CSS_SELECTOR, "form.lang button[value=zh_Hans]").click()
        # A script, not an element: the page is replaced while this waits.
        _wait(
            driver, lambda d: d.execute_script("return document.documentElement.lang") == "zh-Hans"
        )


def _overflow(driver) -> list[str]:
    """What sticks out of the viewport on the right, if anything (as tag.class#id)."""
    return driver.execute_script(
        "const w = document.documentElement.clientWidth; const out = [];"
        "if (document.documentElement.scrollWidth > w) out.push('page ' +"
        " document.documentElement.scrollWidth + ' > ' + w);"
        "for (const el of document.querySelectorAll('main *, header *')) {"
        "  if (el.closest('.table-scroll, .map, [hidden]')) continue;"
        "  const r = el.getBoundingClientRect();"
        "  if (r.width && r.right > w + 1) out.push(el.tagName.toLowerCase() + '.' +"
        "   el.className + '#' + el.id + ' ' + Math.round(r.right));"
        "} return out.slice(0, 5);"
    )


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_journey_pages_never_scroll_sideways(server, browser, width, locale):
    browser.set_window_size(width, 900)
    problems = {}
    for email, paths in JOURNEYS.items():
        _open_as(browser, server, email, locale)
        for path in paths:
            browser.get(f"{server}{path}")
            assert "/login" not in browser.current_url or email is None, path
            found = _overflow(browser)
            if found:
                problems[f"{email} {path}"] = found
    assert problems == {}, problems


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_tables_become_labelled_cards_on_a_phone(server, browser, locale):
    browser.set_window_size(PHONE, 900)
    _open_as(browser, server, EMAILS["official"], locale)
    browser.get(f"{server}/needs")
    table = browser.find_element(By.CSS_SELECTOR, "main table.table")
    assert "stack" in table.get_attribute("class").split()
    assert not browser.find_element(By.CSS_SELECTOR, "main table.table thead").is_displayed() or (
        browser.find_element(By.CSS_SELECTOR, "main table.table thead").size["width"] <= 1
    )
    row = table.find_element(By.CSS_SELECTOR, "tbody tr")
    cells = row.find_elements(By.CSS_SELECTOR, "td")
    labels = [cell.get_attribute("data-label") for cell in cells]
    heading = [
        th.get_attribute("textContent").strip()
        for th in table.find_elements(By.CSS_SELECTOR, "thead th")
    ]
    assert labels[: len(heading)] == heading[: len(labels)]
    # One card per row: the cells sit under each other, each as wide as the card.
    tops = [cell.location["y"] for cell in cells]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    assert all(cell.size["width"] > PHONE * 0.7 for cell in cells)
    shown = browser.execute_script(
        "return getComputedStyle(arguments[0], '::before').content", cells[0]
    )
    assert heading[0] in shown

    browser.set_window_size(DESKTOP, 900)
    browser.get(f"{server}/needs")
    cells = browser.find_elements(By.CSS_SELECTOR, "main table.table tbody tr:first-child td")
    assert len({cell.location["y"] for cell in cells}) == 1  # a plain table row again


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_volunteer_saves_the_profile_by_touch_on_a_phone(server, browser, locale):
    browser.set_window_size(PHONE, 800)
    _open_as(browser, server, EMAILS["volunteer2"], locale)
    browser.get(f"{server}/volunteers/me")
    languages = browser.find_element(By.ID, "f-languages")
    languages.clear()
    languages.send_keys("Mandarin, Hakka")
    button = browser.find_element(By.CSS_SELECTOR, "#profile-form button[type=submit]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    # A tap, as a phone sends it: touch events, then the click they end in.
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
    box = button.rect
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    y -= browser.execute_script("return window.scrollY")
    for kind in ("touchStart", "touchEnd"):
        browser.execute_cdp_cmd(
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": [{"x": x, "y": y}] if kind == "touchStart" else []},
        )
    status = _wait(
        browser, ec.visibility_of_element_located((By.CSS_SELECTOR, "#profile-form .notice"))
    )
    assert status.text
    browser.get(f"{server}/volunteers/me")
    assert browser.find_element(By.ID, "f-languages").get_attribute("value") == "Mandarin, Hakka"
    assert not _overflow(browser)
