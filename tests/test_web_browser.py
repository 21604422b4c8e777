"""A real browser (Debian's chromium, driven by Selenium) clicks through `tracker serve` and checks what it shows.

Screenshots go to $TRACKER_TEST_ARTIFACTS (CI keeps them), else to the test's temporary directory. Without
chromium the test skips with the reason, except with CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.shift_data import build_rising_china, build_small
from tracker.config import load_settings
from tracker.db.engine import Database
from tracker.reports import write_report
from tracker.web import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
TODAY = "2025-06-01"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser test must run; .ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[test]')")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            _unavailable(f"{path} not found (apt-get install chromium chromium-driver)")
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never download anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def site(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, Database]]:
    import waitress.server

    path = tmp_path / "tracker.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    with database.session() as session:
        build_small(session)
        build_rising_china(session, "2024-01", 14)
    settings = load_settings({"database_url": database.url, "today": TODAY})
    write_report(database, settings, tmp_path / "report")
    server = waitress.server.create_server(create_app(database, settings), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", database
    finally:
        server.close()
        database.dispose()


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TRACKER_TEST_ARTIFACTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_browser_follows_the_pages_and_sees_the_databases_values(
    browser: Any, site: tuple[str, Database], artifacts: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    base, database = site
    with database.read_only_session() as session:
        verdict = session.execute(text("SELECT verdict FROM reports")).scalar()
        rows = session.execute(text("SELECT month, country, models FROM monthly_new_models")).all()
        qwen_country = session.execute(text("SELECT country FROM publishers WHERE slug = 'qwen'")).scalar()
        downloads = session.execute(
            text("SELECT downloads_30d FROM hf_models WHERE repo_id = 'Qwen/Qwen2'")
        ).scalar()
        model_count = session.execute(text("SELECT COUNT(*) FROM hf_models")).scalar()

    browser.get(base + "/")
    assert browser.find_element(By.ID, "verdict").text.startswith(f"Verdict: {verdict} (")
    browser.save_screenshot(str(artifacts / "overview.png"))

    browser.find_element(By.CSS_SELECTOR, 'a[href="/signals/new_models"]').click()
    month = "2024-06"
    attributed = sum(r.models for r in rows if r.month == month and r.country is not None)
    cn = sum(r.models for r in rows if r.month == month and r.country == "CN")
    point = browser.find_element(By.CSS_SELECTOR, f'circle[data-series="CN"][data-label="{month}"]')
    # CN+HK+MO equals CN here and is drawn on top of it: hide it first (a toggle), then hover CN
    browser.find_element(By.CSS_SELECTOR, 'button.toggle[data-series="CN+HK+MO"]').click()
    ActionChains(browser).move_to_element(point).perform()
    tip = browser.find_element(By.ID, "chart-new_models-tip")
    assert tip.text == f"CN {month}: {100 * cn / attributed:.2f}%"  # China's share of the attributed total
    row = browser.find_element(By.XPATH, f'//table[@id="monthly"]//tr[td[1][starts-with(., "{month}")]]')
    assert [cell.text for cell in row.find_elements(By.TAG_NAME, "td")][1:4] == [
        f"{sum(r.models for r in rows if r.month == month):,}",
        f"{100 * attributed / sum(r.models for r in rows if r.month == month):.2f}%",  # coverage
        f"{100 * cn / attributed:.2f}%",
    ]
    toggle = browser.find_element(By.CSS_SELECTOR, 'button.toggle[data-series="CN"]')
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false"
    assert not point.is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, 'circle[data-series="US"]').is_displayed()
    browser.save_screenshot(str(artifacts / "signal-cn-hidden.png"))
    toggle.click()
    assert point.is_displayed()

    browser.find_element(By.LINK_TEXT, "Publishers").click()
    browser.find_element(By.CSS_SELECTOR, 'a[href="/publishers/qwen"]').click()
    assert browser.find_element(By.ID, "country").text == qwen_country
    browser.save_screenshot(str(artifacts / "publisher.png"))

    browser.find_element(By.CSS_SELECTOR, 'a[href="/models/Qwen/Qwen2"]').click()
    assert browser.find_element(By.ID, "downloads").text == f"{downloads:,}"
    assert "user1/qwen-ft" in browser.find_element(By.ID, "children").text
    browser.save_screenshot(str(artifacts / "model.png"))

    browser.find_element(By.LINK_TEXT, "SQL").click()
    browser.find_element(By.CSS_SELECTOR, "textarea[name=q]").send_keys(
        "SELECT COUNT(*) AS models FROM hf_models"
    )
    browser.find_element(By.XPATH, "//button[text()='Run']").click()
    cells = browser.find_elements(By.CSS_SELECTOR, "#sql-result td")
    assert [cell.text for cell in cells] == [str(model_count)]
    browser.save_screenshot(str(artifacts / "sql.png"))
