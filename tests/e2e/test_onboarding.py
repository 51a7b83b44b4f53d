"""In a real browser: an NGO member registers, waits for verification, and gets in; axe checks."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from core.demo import ADMIN_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import axe_violations


def _wait(driver, condition, seconds=10):
    return WebDriverWait(driver, seconds).until(condition)


def _sign_in(driver, base, email, password):
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "f-email").send_keys(email)
    driver.find_element(By.ID, "f-password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    _wait(driver, ec.url_contains("/home"))


def test_ngo_member_is_pending_until_an_admin_verifies(server, browser):
    browser.get(f"{server}/register")
    Select(browser.find_element(By.ID, "f-role")).select_by_value("ngo")
    browser.find_element(By.ID, "f-name").send_keys("Tian Yu")
    browser.find_element(By.ID, "f-email").send_keys("tian@e2e.example.org")
    browser.find_element(By.ID, "f-password").send_keys("a long enough password")
    browser.find_element(By.ID, "f-organization").send_keys("Hill Town Relief")
    browser.find_element(By.CSS_SELECTOR, "#register-form button[type=submit]").click()
    _wait(browser, ec.url_contains("/account"))
    assert "Pending verification" in browser.find_element(By.TAG_NAME, "h1").text

    browser.delete_all_cookies()
    _sign_in(browser, server, ADMIN_EMAIL, DEMO_PASSWORD)
    browser.get(f"{server}/admin/organizations?status=pending")
    row = browser.find_element(By.XPATH, "//tr[td[text()='Hill Town Relief']]")
    row.find_element(By.CSS_SELECTOR, "button[value=verify]").click()
    _wait(
        browser,
        ec.text_to_be_present_in_element(
            (By.XPATH, "//tr[td[text()='Hill Town Relief']]"), "Renew verification"
        ),
    )

    browser.delete_all_cookies()
    _sign_in(browser, server, "tian@e2e.example.org", "a long enough password")
    # Verified, the member lands on the organization's work.
    assert browser.find_element(By.TAG_NAME, "h1").text == "My work"
    assert "Hill Town Relief" in browser.page_source


def test_language_switch_renders_chinese(server, browser):
    browser.get(f"{server}/login")
    browser.find_element(By.CSS_SELECTOR, "form.lang button[value=zh_Hans]").click()
    _wait(browser, ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "登录"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hans"


def test_htmx_form_shows_field_errors_without_reload(server, browser):
    browser.get(f"{server}/register")
    browser.find_element(By.ID, "f-name").send_keys("Short Password")
    browser.find_element(By.ID, "f-email").send_keys("short@e2e.example.org")
    password = browser.find_element(By.ID, "f-password")
    # Bypass the browser's own minlength check to see the server's message.
    browser.execute_script("arguments[0].removeAttribute('minlength')", password)
    password.send_keys("short")
    browser.find_element(By.CSS_SELECTOR, "#register-form button[type=submit]").click()
    message = _wait(browser, ec.visibility_of_element_located((By.ID, "e-password")))
    assert "10 characters" in message.text
    assert browser.current_url.endswith("/register")


PUBLIC_PAGES = [
    "/",
    "/login",
    "/register",
    "/incidents/1",
    "/needs",
    "/needs/1",
    "/projects/1",
    "/reports",
    "/organizations",
    "/organizations/1",
    "/data",
    "/volunteers/shifts",
    "/incidents/1/giving",
    "/ledger?incident_id=1",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_pass_axe_wcag_aa(server, browser, path):
    browser.get(f"{server}{path}")
    violations = axe_violations(browser)
    assert violations == [], violations


def test_volunteer_signs_up_on_a_phone_with_one_click(server, browser):
    browser.get(f"{server}/register")
    browser.find_element(By.ID, "f-name").send_keys("Zhang Min")
    browser.find_element(By.ID, "f-email").send_keys("zhang.min@e2e.example.org")
    browser.find_element(By.ID, "f-password").send_keys("a long enough password")
    browser.find_element(By.ID, "f-contact_consent").click()
    browser.find_element(By.CSS_SELECTOR, "#register-form button[type=submit]").click()
    _wait(browser, ec.url_contains("/account"))

    browser.get(f"{server}/volunteers/shifts")
    full = browser.find_element(By.XPATH, "//article[.//a[text()='Child-friendly space']]")
    full.find_element(By.CSS_SELECTOR, ".signup button[type=submit]").click()
    _wait(
        browser,
        ec.text_to_be_present_in_element(
            (By.XPATH, "//article[.//a[text()='Child-friendly space']]//*[@class='signup']"),
            "Waitlisted #3",
        ),
    )

    open_shift = browser.find_element(
        By.XPATH, "//article[.//a[text()='Debris clearing in Willow Village']]"
    )
    open_shift.find_element(By.CSS_SELECTOR, ".signup button[type=submit]").click()
    _wait(
        browser,
        ec.text_to_be_present_in_element(
            (
                By.XPATH,
                "//article[.//a[text()='Debris clearing in Willow Village']]//*[@class='signup']",
            ),
            "You're in",
        ),
    )
    # The swap happened in place: still the shift list, no full page load.
    assert browser.current_url.endswith("/volunteers/shifts")
