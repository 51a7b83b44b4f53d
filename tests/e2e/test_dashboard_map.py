"""In a real browser, offline (the test server's tiles never load): the drawn map's layers are
switched by plain checkboxes, and the map fits a phone."""

import pytest
from selenium.webdriver.common.by import By


@pytest.mark.parametrize("width", [360, 1280])
def test_offline_map_layers_switch_without_the_tile_map(server, browser, width):
    browser.set_window_size(width, 900)
    browser.get(f"{server}/incidents/1")
    projects = browser.find_elements(By.CSS_SELECTOR, ".map svg .layer-projects a")
    shifts = browser.find_elements(By.CSS_SELECTOR, ".map svg .layer-shifts a")
    assert projects and shifts
    assert all("/projects/" in a.get_dom_attribute("href") for a in projects)
    switch = browser.find_element(By.CSS_SELECTOR, ".map-layers input[value=projects]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", switch)
    assert projects[0].is_displayed()
    switch.click()
    assert not projects[0].is_displayed() and shifts[0].is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, ".map-live.ready")
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
