"""End to end in a real headless Chromium: what only a browser shows.

A `streamlit run app.py` server on a free localhost port, driven with Playwright
(Debian's /usr/bin/chromium; never `playwright install`). Screenshots of every page go to
artifacts/screenshots/. In CI these tests must run: a missing browser fails them.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import SLOW, no_exception, open_page, set_number, shoot, wait_idle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("path", "text"), [("", "mnistlab"), ("dataset", "How many of each class"),
                                            ("experiments", "Experiments")])
def test_pages_open_and_look_right(page, server, path, text):
    open_page(page, server, path)
    page.get_by_text(text).first.wait_for()
    no_exception(page)
    shoot(page, path or "home")


def train_quickly(page, server):
    open_page(page, server, "train")
    # an expander: opens in the browser, no rerun (the Train tip names it too: the sidebar's)
    page.locator('[data-testid="stSidebar"]').get_by_text("Training settings").click()
    set_number(page, "Epochs", 1, re.compile(r"· 1 epoch\b"))
    set_number(page, "Training subset (0 = all)", 1000, "· 1,000 training images")
    page.get_by_role("button", name="Train", exact=True).click()
    page.locator('[data-testid="stMetric"]', has_text="Test accuracy").wait_for(timeout=SLOW)
    wait_idle(page)


def test_training_through_the_ui_shows_curves_and_accuracy(page, server):
    train_quickly(page, server)
    no_exception(page)
    accuracy = page.locator('[data-testid="stMetric"]', has_text="Test accuracy").locator(
        '[data-testid="stMetricValue"]').inner_text()
    assert 0.3 < float(accuracy.rstrip("%")) / 100 <= 1
    page.locator(".st-key-curve_accuracy .js-plotly-plot").wait_for()  # the loss and the accuracy curves
    page.locator(".st-key-curve_loss .js-plotly-plot").wait_for()
    shoot(page, "train")


def test_selecting_a_confusion_cell_changes_the_gallery(page, server):
    train_quickly(page, server)
    page.get_by_role("link", name="Evaluate").first.click()
    page.wait_for_url("**/evaluate")
    page.get_by_role("heading", name="Evaluate").first.wait_for(timeout=SLOW)
    # the confusion matrix itself, by its key: before, the first chart could still be the Train page's curve
    chart = page.locator(".st-key-confusion .js-plotly-plot")
    chart.wait_for(timeout=SLOW)
    wait_idle(page)
    no_exception(page)
    shoot(page, "evaluate")
    # the squares are the points of the chart's first trace, row-major: true × 10 + predicted
    counts = [int(t) for t in chart.evaluate("plot => plot.data[0].text")]
    assert len(counts) == 100
    cell = max((i for i in range(100) if i // 10 != i % 10), key=lambda i: counts[i])  # the biggest mistake
    true, pred = divmod(cell, 10)
    assert counts[cell] > 0
    points = chart.locator(".scatterlayer .trace").first.locator(".point")
    assert points.count() == 100
    points.nth(cell).click(force=True)
    # the click sets the two selectboxes beside the chart, and the gallery shows exactly that cell
    expect(page.get_by_role("combobox", name="True class")).to_have_value(str(true))
    expect(page.get_by_role("combobox", name="Predicted as")).to_have_value(str(pred))
    page.get_by_text(f"that the model read as {pred}").first.wait_for()
    wait_idle(page)
    no_exception(page)
    shoot(page, "evaluate_cell")
    cell_column = page.locator('[data-testid="stColumn"]', has_text="that the model read as").first
    captions = cell_column.locator('[data-testid="stImageCaption"]')
    assert captions.count() == min(counts[cell], 30)
    assert all(text.startswith(f"P {pred}, C {true}") for text in captions.all_inner_texts())


def test_drawing_a_stroke_gives_a_prediction(page, server):
    # the session's own quick model: without one, Draw first trains its default CNN for minutes
    train_quickly(page, server)
    page.get_by_role("link", name="Draw").first.click()
    page.wait_for_url(re.compile(r"/draw$"))
    page.get_by_role("heading", name="Draw").first.wait_for(timeout=SLOW)
    # the canvas renders in an open shadow root, which Playwright's CSS selectors pierce
    canvas = page.locator('[class*="st-key-draw_canvas"] canvas').first
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
    page.locator(".st-key-draw_probabilities .js-plotly-plot").wait_for()  # the 10 probabilities
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
    page.locator(".st-key-overlay_accuracy .js-plotly-plot").wait_for()  # its loss and accuracy curves
    page.locator(".st-key-overlay_loss .js-plotly-plot").wait_for()
    page.get_by_role("button", name="Use this model").first.wait_for()
    wait_idle(page)
    no_exception(page)
    shoot(page, "experiments_runs")
