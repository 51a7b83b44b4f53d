"""In a real browser: coordinates are picked on a map (Leaflet, vendored), or typed without it."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from core.demo import DEMO_PASSWORD, PEOPLE

EMAILS = {key: email for key, email, *_rest in PEOPLE}


def _wait(driver, condition, seconds=10):
    return WebDriverWait(driver, seconds).until(condition)


def _sign_in(driver, base, email):
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "f-email").send_keys(email)
    driver.find_element(By.ID, "f-password").send_keys(DEMO_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    _wait(driver, ec.url_contains("/home"))


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("official", "/manage/needs/new"),
        ("ngo", "/volunteers/shifts/new"),
        ("ngo", "/offers/new"),
        ("volunteer", "/volunteers/me"),
    ],
)
def test_a_click_on_the_map_fills_the_coordinates(server, browser, who, path, width):
    browser.set_window_size(width, 900)
    _sign_in(browser, server, EMAILS[who])
    browser.get(f"{server}{path}")
    box = browser.find_element(By.CSS_SELECTOR, "[data-point-picker]")
    lat = box.find_element(By.NAME, "lat")
    lon = box.find_element(By.NAME, "lon")
    lat.clear()
    lon.clear()
    opener = box.find_element(By.CSS_SELECTOR, "[data-open-map]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", opener)
    opener.click()
    holder = _wait(browser, ec.visibility_of_element_located((By.CSS_SELECTOR, ".point-map")))
    _wait(browser, lambda d: d.execute_script("return !!window.L"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", holder)
    # A click a little off the map's centre lands on a point the map turns into coordinates.
    browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "const at = {clientX: r.left + r.width * 0.6, clientY: r.top + r.height * 0.4,"
        " bubbles: true};"
        "for (const t of ['mousedown', 'mouseup', 'click'])"
        "  arguments[0].dispatchEvent(new MouseEvent(t, at));",
        holder,
    )
    _wait(browser, lambda d: lat.get_attribute("value") != "")
    assert -90 <= float(lat.get_attribute("value")) <= 90
    assert -180 <= float(lon.get_attribute("value")) <= 180
    status = box.find_element(By.CSS_SELECTOR, "[data-point-status]").text
    assert lat.get_attribute("value") in status
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_without_javascript_the_coordinates_are_typed(server, browser):
    # The tools stay hidden until the script shows them; the fields are plain number inputs.
    _sign_in(browser, server, EMAILS["official"])
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(f"{server}/manage/needs/new")
    box = browser.find_element(By.CSS_SELECTOR, "[data-point-picker]")
    assert not box.find_element(By.CSS_SELECTOR, "[data-point-tools]").is_displayed()
    lat = box.find_element(By.NAME, "lat")
    assert lat.is_displayed() and lat.get_attribute("type") == "number"


def test_with_nothing_typed_the_map_opens_on_the_incidents_areas(server, browser):
    browser.set_window_size(1280, 900)
    _sign_in(browser, server, EMAILS["official"])
    browser.get(f"{server}/manage/needs/new")
    box = browser.find_element(By.CSS_SELECTOR, "[data-point-picker]")
    for name in ("lat", "lon"):
        box.find_element(By.NAME, name).clear()
    chosen = browser.find_element(By.NAME, "incident_id").get_attribute("value")
    bounds = browser.execute_script(
        "return fetch(arguments[0]).then((r) => r.json()).then((b) => b.bounds)",
        f"{box.get_attribute('data-extent')}?incident_id={chosen}",
    )
    (south, west), (north, east) = bounds
    opener = box.find_element(By.CSS_SELECTOR, "[data-open-map]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", opener)
    opener.click()
    holder = _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".point-map")))
    _wait(browser, lambda d: holder.get_attribute("data-centre"))
    lat, lon = map(float, holder.get_attribute("data-centre").split(","))
    # The middle of the incident's areas, not a fixed point far away (nor 0, 0).
    assert south <= lat <= north and west <= lon <= east
