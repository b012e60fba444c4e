"""Open the browser's pages in headless Chromium (Selenium with chromedriver): screenshots and checks.

Chromium and its driver come from the system (Debian: ``apt-get install chromium chromium-driver``;
``envs/install-system.sh`` does it for the tests); Selenium from pip (``.[test]``). Nothing is
downloaded: the driver is named, Selenium Manager is never asked to fetch one.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from rhythm.core.errors import RhythmInputError
from rhythm.core.io import atomic_path

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = "chromedriver"


def find_chromium() -> tuple[str, str] | None:
    """``(browser, driver)`` paths when both are installed and Selenium imports; else None."""
    browser = next((p for p in map(shutil.which, CHROMIUM) if p), None)
    driver = shutil.which(DRIVER)
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None
    return (browser, driver) if browser and driver else None


def start_chromium(width: int = 1400, height: int = 1000):
    """A headless Chromium driven by Selenium, logging the pages' console (``get_log('browser')``)."""
    found = find_chromium()
    if found is None:
        raise RhythmInputError(
            "chromium",
            "headless Chromium not found: install chromium, chromium-driver (envs/install-system.sh) and selenium",
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--autoplay-policy=no-user-gesture-required",
        "--allow-file-access-from-files",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=found[1]), options=options)


def wait_ready(driver, timeout: float = 20.0) -> float:
    """Wait until the page set ``window.rhythmReady``; returns the seconds it took."""
    started = time.perf_counter()
    while not driver.execute_script("return window.rhythmReady === true"):
        if time.perf_counter() - started > timeout:
            errors = [e["message"] for e in driver.get_log("browser")]
            raise TimeoutError(f"{driver.current_url}: not ready after {timeout:g} s; console: {errors}")
        time.sleep(0.02)
    return time.perf_counter() - started


def console_errors(driver) -> list[str]:
    """The page's console errors since the last call (warnings and info left out)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def first_sequence_page(browser: Path) -> str:
    """The first sequence (by name) whose page a dataset browser holds."""
    pages = sorted(p.stem for p in (browser / "seq").glob("*.js"))
    if not pages:
        raise RhythmInputError(browser, "no sequence page in this browser (no sequence with 3D keypoints or videos)")
    return pages[0]


def screenshot_pages(pages: dict[str, str | Path], out_dir: str | Path, play_s: float = 1.0) -> dict[str, str]:
    """Open each page (name -> path, a query string allowed after ``?``; ``sequence.html`` alone
    opens the first sequence), play its player for ``play_s`` seconds when it has one, and save
    ``<out_dir>/<name>.png``; fails on console errors."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    driver = start_chromium()
    written = {}
    try:
        for name, page in pages.items():
            path, _, query = str(page).partition("?")
            if not Path(path).is_file():
                raise RhythmInputError(path, "page not found: build the browser first")
            if Path(path).name == "sequence.html" and not query:
                query = f"seq={first_sequence_page(Path(path).parent)}"
            driver.get(Path(path).absolute().as_uri() + (f"?{query}" if query else ""))
            wait_ready(driver)
            if driver.execute_script("return !!window.rhythmPlayer"):
                driver.execute_script("window.rhythmPlayer.clock.play()")
                time.sleep(play_s)
                driver.execute_script("window.rhythmPlayer.clock.pause()")
            errors = console_errors(driver)
            if errors:
                raise RhythmInputError(path, f"the page logged errors: {errors}")
            target = out_dir / f"{name}.png"
            with atomic_path(target) as tmp:
                tmp.write_bytes(driver.get_screenshot_as_png())
            written[name] = str(target)
    finally:
        driver.quit()
    return written
