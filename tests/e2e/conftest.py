"""A served app on a free port with demo data, and a headless Chromium driven by Selenium."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_PATH", "/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe.min.js"


def _browser_available() -> bool:
    return shutil.which(CHROMIUM) is not None and shutil.which(CHROMEDRIVER) is not None


@pytest.fixture(scope="session")
def browser_required():
    if not _browser_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Chromium at {CHROMIUM} and ChromeDriver at {CHROMEDRIVER}")
        pytest.skip(
            "Chromium/ChromeDriver not installed (apt-get install chromium chromium-driver)"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server(browser_required, tmp_path_factory):
    """`commons db upgrade`, `commons demo`, then uvicorn, as an operator would run them."""
    folder = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'e2e.db'}",
        "COMMONS_SECRET_KEY": "e2e-secret",
        "COMMONS_MAIL_DIR": str(folder / "mail"),
        "COMMONS_UPLOAD_DIR": str(folder / "uploads"),
        # No internet in tests: point tiles at a closed local port so the offline fallback shows.
        "COMMONS_TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
    }
    commons = [sys.executable, "-m", "core.cli"]
    subprocess.run([*commons, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    # The journeys find the demo's records by their English names.
    subprocess.run(
        [*commons, "demo", "--locale", "en"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    port = _free_port()
    process = subprocess.Popen(
        [*commons, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("the server did not become ready")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def _chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=390,844",
    ):
        options.add_argument(flag)
    options.add_argument("--lang=en-US")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture
def browser(browser_required):
    driver = _chromium()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def second_browser(browser_required):
    """Another person's browser: its own cookies, at the same time as `browser`."""
    driver = _chromium()
    try:
        yield driver
    finally:
        driver.quit()


def axe_violations(driver) -> list[dict]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the current page."""
    driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',"
        " 'wcag21aa']}}).then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))));"
    )
    return result
