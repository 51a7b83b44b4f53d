"""In two browsers on two web workers sharing PostgreSQL: a volunteer's sign-up in one updates
the public dashboard open in the other within a second, without a reload."""

import os
import subprocess
import sys
import time

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from core.demo import DEMO_PASSWORD
from tests.e2e.conftest import ROOT, _free_port
from tests.live import fresh_pg_database, wait_ready

FILLED = "//section[@id='live-funds']//div[contains(dt, 'filled')]/dd"


@pytest.fixture(scope="module")
def two_workers(browser_required, tmp_path_factory):
    """`commons db upgrade` and `demo` on a fresh PostgreSQL database, then two `commons serve`
    processes on their own ports, so each browser is certain to talk to a different worker."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        pytest.skip("live updates across workers need PostgreSQL (TEST_DATABASE_URL)")
    url = fresh_pg_database(test_url + "_live_e2e")
    folder = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "COMMONS_SECRET_KEY": "e2e-secret",
        "COMMONS_MAIL_DIR": str(folder / "mail"),
        "COMMONS_UPLOAD_DIR": str(folder / "uploads"),
        "COMMONS_TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
    }
    commons = [sys.executable, "-m", "core.cli"]
    subprocess.run([*commons, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*commons, "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    processes, bases = [], []
    try:
        for _ in range(2):
            port = _free_port()
            processes.append(
                subprocess.Popen(
                    [*commons, "serve", "--port", str(port)],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes, strict=True):
            wait_ready(base, process)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _demo_incident(base: str) -> int:
    items = httpx.get(f"{base}/api/v1/incidents", timeout=5).json()["items"]
    return next(i["id"] for i in items if i["name"] == "Riverside Floods 2026")


def _filled(driver) -> int:
    return int(driver.find_element(By.XPATH, FILLED).text.replace(",", ""))


def test_sign_up_in_one_browser_updates_the_dashboard_in_another(
    two_workers, browser, second_browser
):
    public_base, volunteer_base = two_workers
    incident_id = _demo_incident(public_base)
    browser.get(f"{public_base}/incidents/{incident_id}")
    before = _filled(browser)
    browser.execute_script("window.notReloaded = true")
    # The stream is open once the extension has connected (the first figures arrived).
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script(
            "const e = document.querySelector('[sse-connect]');"
            "const source = e && e['htmx-internal-data'] && e['htmx-internal-data'].sseEventSource;"
            "return !!source && source.readyState === 1;"
        )
    )

    volunteer = second_browser
    volunteer.get(f"{volunteer_base}/login")
    volunteer.find_element(By.ID, "f-email").send_keys("volunteer@demo.recovery.local")
    volunteer.find_element(By.ID, "f-password").send_keys(DEMO_PASSWORD)
    volunteer.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    WebDriverWait(volunteer, 10).until(ec.url_contains("/account"))
    volunteer.get(f"{volunteer_base}/volunteers/shifts")
    volunteer.find_element(By.LINK_TEXT, "Translation desk at the registration point").click()
    button = WebDriverWait(volunteer, 10).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, ".signup button[type=submit]"))
    )
    assert button.text == "Sign up"
    button.click()
    WebDriverWait(volunteer, 10).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".signup"), "You're in")
    )
    signed_up = time.monotonic()

    WebDriverWait(browser, 1.0, poll_frequency=0.05).until(lambda d: _filled(d) == before + 1)
    assert time.monotonic() - signed_up < 1.0
    # Updated in place: the page was not reloaded.
    assert browser.execute_script("return window.notReloaded === true")
