"""End to end in a real headless Chromium: what only a browser shows.

A `streamlit run app.py` server on a free localhost port, driven with Playwright
(Debian's /usr/bin/chromium; never `playwright install`). Screenshots of every page go to
artifacts/screenshots/. In CI these tests must run: a missing browser fails them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("MNISTLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SLOW = 120_000  # ms: the first training imports TensorFlow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    port = free_port()
    env = {**os.environ, "MNISTLAB_OFFLINE": "1", "MNISTLAB_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("streamlit did not start")
    yield url
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def open_page(page, server, path=""):
    page.goto(f"{server}/{path}")
    page.wait_for_selector('[data-testid="stSidebar"]')
    page.wait_for_load_state("networkidle")
    wait_idle(page)


def wait_idle(page, timeout=SLOW):
    """Streamlit shows a status widget while a script runs."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def shoot(page, name):
    """A screenshot once the widgets' placeholders have been replaced by the widgets."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=30_000)
    page.wait_for_timeout(500)
    SHOTS.mkdir(parents=True, exist_ok=True)
    # Streamlit scrolls inside its main block, so a full-page shot is only the window: make
    # the window as tall as the page for the shot, then put it back.
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 0")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 8000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)


def no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


@pytest.mark.parametrize(("path", "text"), [("", "mnistlab"), ("dataset", "How many of each class"),
                                            ("experiments", "Experiments")])
def test_pages_open_and_look_right(page, server, path, text):
    open_page(page, server, path)
    page.get_by_text(text).first.wait_for()
    no_exception(page)
    shoot(page, path or "home")


def set_number(page, label, value):
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def train_quickly(page, server):
    open_page(page, server, "train")
    page.get_by_text("Training settings").click()
    set_number(page, "Epochs", 1)
    set_number(page, "Training subset (0 = all)", 1000)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Test accuracy").first.wait_for(timeout=SLOW)
    wait_idle(page)


def test_training_through_the_ui_shows_curves_and_accuracy(page, server):
    train_quickly(page, server)
    no_exception(page)
    accuracy = page.locator('[data-testid="stMetric"]', has_text="Test accuracy").locator(
        '[data-testid="stMetricValue"]').inner_text()
    assert 0.3 < float(accuracy.rstrip("%")) / 100 <= 1
    page.locator(".js-plotly-plot").nth(1).wait_for()  # the loss and the accuracy curves
    shoot(page, "train")


def test_selecting_a_confusion_cell_changes_the_gallery(page, server):
    train_quickly(page, server)
    page.get_by_role("link", name="Evaluate").first.click()
    wait_idle(page)
    page.locator(".js-plotly-plot").first.wait_for()
    no_exception(page)
    shoot(page, "evaluate")
    # the squares are the points of the chart's first trace, row-major: true × 10 + predicted
    counts = [int(t) for t in page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].text")]
    cell = max((i for i in range(100) if i // 10 != i % 10), key=lambda i: counts[i])  # the biggest mistake
    true, pred = divmod(cell, 10)
    assert counts[cell] > 0
    points = page.locator(".js-plotly-plot .scatterlayer .trace").first.locator(".point")
    assert points.count() == 100
    points.nth(cell).click(force=True)
    wait_idle(page)
    no_exception(page)
    shoot(page, "evaluate_cell")
    page.get_by_text(f"that the model read as {pred}").first.wait_for()
    # the click set the two selectboxes beside the chart, and the gallery shows exactly that cell
    assert page.get_by_role("combobox", name="True class").input_value() == str(true)
    assert page.get_by_role("combobox", name="Predicted as").input_value() == str(pred)
    cell_column = page.locator('[data-testid="stColumn"]', has_text="that the model read as").first
    captions = cell_column.locator('[data-testid="stImageCaption"]')
    assert captions.count() == min(counts[cell], 30)
    assert all(text.startswith(f"P {pred}, C {true}") for text in captions.all_inner_texts())


def test_drawing_a_stroke_gives_a_prediction(page, server):
    open_page(page, server, "draw")
    # canvas 0.13 renders in an open shadow root, which Playwright's CSS selectors pierce
    canvas = page.locator('[class*="st-key-draw_canvas"] canvas.upper-canvas').first
    canvas.wait_for(timeout=SLOW)
    box = canvas.bounding_box()
    x, top = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.2
    page.mouse.move(x, top)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x, top + step * box["height"] * 0.03)
    page.mouse.up()
    page.get_by_text("It's a").first.wait_for(timeout=SLOW)
    wait_idle(page)
    page.locator(".js-plotly-plot").first.wait_for()  # the 10 probabilities
    no_exception(page)
    shoot(page, "draw")


def test_finished_runs_are_listed_in_experiments(page, server):
    train_quickly(page, server)  # served from the cache if an earlier test trained it
    open_page(page, server, "experiments")
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.wait_for()
    assert "No runs yet" not in page.content()
    # the grid is drawn on a canvas: tick the first row's checkbox by its position
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)
    wait_idle(page)
    page.locator(".js-plotly-plot").nth(1).wait_for()  # its loss and accuracy curves
    page.get_by_role("button", name="Use this model").first.wait_for()
    no_exception(page)
    shoot(page, "experiments_runs")
